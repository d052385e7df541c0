-- Validated counts per ward and month; the free-text note is not carried.
with

validated as (

    {{ not_quarantined(ref('stg_hanoi_health__electronic_health_records'), 'electronic_health_records') }}

),

final as (

    select
        ward_code,
        ward_name,
        period,
        records_opened,
        records_linked,
        _source_file,
        _source_row

    from validated

)

select * from final
