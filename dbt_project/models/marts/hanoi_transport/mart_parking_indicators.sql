with days as (select * from {{ ref('fct_cashless_parking_payments') }})

{{ indicator('transactions_total', 'Tổng số lượt trông giữ xe', 'Parking transactions', '(select sum(transactions) from days)', 'lượt') }}
union all
{{ indicator('cashless_percent', 'Tỷ lệ lượt thanh toán không dùng tiền mặt', 'Cashless share of transactions', share('(select sum(cashless_transactions) from days)', '(select sum(transactions) from days)'), '%') }}
union all
{{ indicator('cashless_revenue_vnd', 'Doanh thu không dùng tiền mặt', 'Cashless revenue', '(select sum(cashless_revenue_vnd) from days)', 'đồng') }}
union all
{{ indicator('lots_total', 'Số điểm trông giữ xe thí điểm', 'Pilot parking lots', '(select count(distinct lot_id) from days)', 'điểm') }}
