-- Cashless parking in the pilot lots, from validated daily transactions.
with

days as (

    select * from {{ ref('fct_cashless_parking_payments') }}

),

totals as (

    select
        sum(transactions) as transactions,
        sum(cashless_transactions) as cashless_transactions,
        sum(cashless_revenue_vnd) as cashless_revenue_vnd,
        count(distinct lot_id) as lots

    from days

),

final as (

    {{ indicator(
        id='transactions_total',
        label_vi='Tổng số lượt trông giữ xe',
        label_en='Parking transactions',
        value='transactions',
        unit='lượt',
        from_cte='totals',
    ) }}
    union all
    {{ indicator(
        id='cashless_percent',
        label_vi='Tỷ lệ lượt thanh toán không dùng tiền mặt',
        label_en='Cashless share of transactions',
        value=share('cashless_transactions', 'transactions'),
        unit='%',
        from_cte='totals',
    ) }}
    union all
    {{ indicator(
        id='cashless_revenue_vnd',
        label_vi='Doanh thu không dùng tiền mặt',
        label_en='Cashless revenue',
        value='cashless_revenue_vnd',
        unit='đồng',
        from_cte='totals',
    ) }}
    union all
    {{ indicator(
        id='lots_total',
        label_vi='Số điểm trông giữ xe thí điểm',
        label_en='Pilot parking lots',
        value='lots',
        unit='điểm',
        from_cte='totals',
    ) }}

)

select * from final
