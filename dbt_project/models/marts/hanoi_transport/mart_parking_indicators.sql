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

    {{ indicator('transactions_total', 'Tổng số lượt trông giữ xe', 'Parking transactions', 'transactions', 'lượt', from_cte='totals') }}
    union all
    {{ indicator('cashless_percent', 'Tỷ lệ lượt thanh toán không dùng tiền mặt', 'Cashless share of transactions', share('cashless_transactions', 'transactions'), '%', from_cte='totals') }}
    union all
    {{ indicator('cashless_revenue_vnd', 'Doanh thu không dùng tiền mặt', 'Cashless revenue', 'cashless_revenue_vnd', 'đồng', from_cte='totals') }}
    union all
    {{ indicator('lots_total', 'Số điểm trông giữ xe thí điểm', 'Pilot parking lots', 'lots', 'điểm', from_cte='totals') }}

)

select * from final
