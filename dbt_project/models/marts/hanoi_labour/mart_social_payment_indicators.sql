-- Cashless share in the latest month, overall and by payment type.
with

payments as (

    select * from {{ ref('fct_cashless_social_payments') }}

),

latest_period as (

    select max(period) as period
    from payments

),

latest_month as (

    select payments.*
    from payments
    inner join latest_period on payments.period = latest_period.period

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

    {{ indicator(
        id='beneficiaries_latest_month',
        label_vi='Số người hưởng (tháng gần nhất)',
        label_en='Beneficiaries (latest month)',
        value='beneficiaries',
        unit='người',
        from_cte='totals',
    ) }}
    union all
    {{ indicator(
        id='cashless_percent_latest_month',
        label_vi='Tỷ lệ nhận không dùng tiền mặt (tháng gần nhất)',
        label_en='Paid without cash (latest month)',
        value=share('paid_cashless', 'beneficiaries'),
        unit='%',
        from_cte='totals',
    ) }}
    union all
    {{ indicator(
        id='pension_cashless_percent',
        label_vi='Tỷ lệ lương hưu chi trả không dùng tiền mặt',
        label_en='Pensions paid without cash',
        value=share('pension_paid_cashless', 'pension_beneficiaries'),
        unit='%',
        from_cte='totals',
    ) }}
    union all
    {{ indicator(
        id='social_allowance_cashless_percent',
        label_vi='Tỷ lệ trợ cấp xã hội chi trả không dùng tiền mặt',
        label_en='Social allowances paid without cash',
        value=share('allowance_paid_cashless', 'allowance_beneficiaries'),
        unit='%',
        from_cte='totals',
    ) }}

)

select * from final
