-- Seeds 000-003: 99.5% e-filing, over 99.1% e-payment, e-invoices 99.16% of enterprises and
-- 99.98% of households, 61,917 eTax Mobile accounts.
with

by_ward as (

    select * from {{ ref('mart_tax_e_services_by_ward') }}

),

mobile_accounts as (

    select * from {{ ref('fct_etax_mobile_accounts') }}

),

taxpayers as (

    select
        sum(active_taxpayers) filter (where taxpayer_type = 'doanh_nghiep') as enterprises,
        sum(e_filing_taxpayers) filter (where taxpayer_type = 'doanh_nghiep') as enterprises_e_filing,
        sum(e_payment_taxpayers) filter (where taxpayer_type = 'doanh_nghiep') as enterprises_e_payment,
        sum(e_invoice_taxpayers) filter (where taxpayer_type = 'doanh_nghiep') as enterprises_e_invoice,
        sum(active_taxpayers) filter (where taxpayer_type = 'ho_kinh_doanh') as households,
        sum(e_invoice_taxpayers) filter (where taxpayer_type = 'ho_kinh_doanh') as households_e_invoice

    from by_ward

),

latest_period as (

    select max(period) as period
    from mobile_accounts

),

latest_accounts as (

    select sum(mobile_accounts.accounts) as accounts
    from mobile_accounts
    inner join latest_period on mobile_accounts.period = latest_period.period

),

totals as (

    select
        taxpayers.*,
        latest_accounts.accounts

    from taxpayers
    cross join latest_accounts

),

final as (

    {{ indicator(
        id='active_enterprises',
        label_vi='Doanh nghiệp đang hoạt động',
        label_en='Active enterprises',
        value='enterprises',
        unit='doanh nghiệp',
        from_cte='totals',
    ) }}
    union all
    {{ indicator(
        id='enterprises_e_filing_percent',
        label_vi='Tỷ lệ doanh nghiệp khai thuế điện tử',
        label_en='Enterprises filing electronically',
        value=share('enterprises_e_filing', 'enterprises'),
        unit='%',
        from_cte='totals',
    ) }}
    union all
    {{ indicator(
        id='enterprises_e_payment_percent',
        label_vi='Tỷ lệ doanh nghiệp nộp thuế điện tử',
        label_en='Enterprises paying electronically',
        value=share('enterprises_e_payment', 'enterprises'),
        unit='%',
        from_cte='totals',
    ) }}
    union all
    {{ indicator(
        id='enterprises_e_invoice_percent',
        label_vi='Tỷ lệ doanh nghiệp đăng ký hóa đơn điện tử',
        label_en='Enterprises registered for e-invoices',
        value=share('enterprises_e_invoice', 'enterprises'),
        unit='%',
        from_cte='totals',
    ) }}
    union all
    {{ indicator(
        id='households_e_invoice_percent',
        label_vi='Tỷ lệ hộ kinh doanh kê khai đăng ký hóa đơn điện tử',
        label_en='Declaring households registered for e-invoices',
        value=share('households_e_invoice', 'households'),
        unit='%',
        from_cte='totals',
    ) }}
    union all
    {{ indicator(
        id='etax_mobile_accounts',
        label_vi='Số tài khoản eTax Mobile',
        label_en='eTax Mobile accounts',
        value='accounts',
        unit='tài khoản',
        from_cte='totals',
    ) }}

)

select * from final
