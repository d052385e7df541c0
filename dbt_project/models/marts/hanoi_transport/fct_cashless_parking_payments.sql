-- Validated daily transactions per parking lot.
with

validated as (

    {{ not_quarantined(ref('stg_hanoi_transport__cashless_parking_payments'), 'cashless_parking_payments') }}

),

final as (

    select
        lot_id,
        lot_name,
        ward_code,
        ward_name,
        day,
        transactions,
        cashless_transactions,
        revenue_vnd,
        cashless_revenue_vnd,
        _source_file,
        _source_row

    from validated

)

select * from final
