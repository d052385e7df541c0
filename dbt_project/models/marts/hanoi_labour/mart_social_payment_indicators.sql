-- Cashless share in the latest month, overall and by payment type.
with

payments as (

    select * from {{ ref('fct_cashless_social_payments') }}

),

latest_month as (

    select * from payments
    where period = (select max(period) from payments)

),

totals as (

    select
        sum(beneficiaries) as beneficiaries,
        sum(paid_cashless) as paid_cashless,
        sum(beneficiaries) filter (where payment_type = 'Lương hưu') as pension_beneficiaries,
        sum(paid_cashless) filter (where payment_type = 'Lương hưu') as pension_paid_cashless,
        sum(beneficiaries) filter (where payment_type = 'Trợ cấp xã hội') as allowance_beneficiaries,
        sum(paid_cashless) filter (where payment_type = 'Trợ cấp xã hội') as allowance_paid_cashless

    from latest_month

),

final as (

    {{ indicator('beneficiaries_latest_month', 'Số người hưởng (tháng gần nhất)', 'Beneficiaries (latest month)', 'beneficiaries', 'người', from_cte='totals') }}
    union all
    {{ indicator('cashless_percent_latest_month', 'Tỷ lệ nhận không dùng tiền mặt (tháng gần nhất)', 'Paid without cash (latest month)', share('paid_cashless', 'beneficiaries'), '%', from_cte='totals') }}
    union all
    {{ indicator('pension_cashless_percent', 'Tỷ lệ lương hưu chi trả không dùng tiền mặt', 'Pensions paid without cash', share('pension_paid_cashless', 'pension_beneficiaries'), '%', from_cte='totals') }}
    union all
    {{ indicator('social_allowance_cashless_percent', 'Tỷ lệ trợ cấp xã hội chi trả không dùng tiền mặt', 'Social allowances paid without cash', share('allowance_paid_cashless', 'allowance_beneficiaries'), '%', from_cte='totals') }}

)

select * from final
