-- Cashless share in the latest month, overall and by payment type.
with

latest as (
    select * from {{ ref('fct_cashless_social_payments') }}
    where period = (select max(period) from {{ ref('fct_cashless_social_payments') }})
)

{{ indicator('beneficiaries_latest_month', 'Số người hưởng (tháng gần nhất)', 'Beneficiaries (latest month)', '(select sum(beneficiaries) from latest)', 'người') }}
union all
{{ indicator('cashless_percent_latest_month', 'Tỷ lệ nhận không dùng tiền mặt (tháng gần nhất)', 'Paid without cash (latest month)', share('(select sum(paid_cashless) from latest)', '(select sum(beneficiaries) from latest)'), '%') }}
union all
{{ indicator('pension_cashless_percent', 'Tỷ lệ lương hưu chi trả không dùng tiền mặt', 'Pensions paid without cash', share("(select sum(paid_cashless) from latest where payment_type = 'Lương hưu')", "(select sum(beneficiaries) from latest where payment_type = 'Lương hưu')"), '%') }}
union all
{{ indicator('social_allowance_cashless_percent', 'Tỷ lệ trợ cấp xã hội chi trả không dùng tiền mặt', 'Social allowances paid without cash', share("(select sum(paid_cashless) from latest where payment_type = 'Trợ cấp xã hội')", "(select sum(beneficiaries) from latest where payment_type = 'Trợ cấp xã hội')"), '%') }}
