-- Validated land-registration dossiers, without applicants, IDs or addresses.
with

validated as (

    {{ not_quarantined(ref('stg_hanoi_monre__land_registration_payments'), 'land_registration_payments') }}

),

final as (

    select
        dossier_id,
        ward_code,
        ward_name,
        received_date,
        procedure,
        paid_via_portal,
        amount_vnd,
        _source_file,
        _source_row

    from validated

)

select * from final
