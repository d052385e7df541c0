-- Validated eTax Mobile accounts per ward and period.
with

validated as (

    {{ not_quarantined(ref('stg_hanoi_tax__etax_mobile_accounts'), 'etax_mobile_accounts') }}

),

final as (

    select
        ward_code,
        ward_name,
        period,
        accounts,
        _source_file,
        _source_row

    from validated

)

select * from final
