-- Active taxpayers by ward and type, validated rows only; no tax code leaves the warehouse.
with

validated as (

    {{ not_quarantined(ref('stg_hanoi_tax__taxpayer_e_services'), 'taxpayer_e_services') }}

),

active as (

    select * from validated
    where status = 'dang_hoat_dong'

),

final as (

    select
        ward_code,
        any_value(ward_name) as ward_name,
        taxpayer_type,
        count(*) as active_taxpayers,
        count(*) filter (where e_filing) as e_filing_taxpayers,
        count(*) filter (where e_payment) as e_payment_taxpayers,
        count(*) filter (where e_invoice) as e_invoice_taxpayers

    from active
    group by ward_code, taxpayer_type

)

select * from final
