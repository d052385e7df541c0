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

latest_accounts as (

    select sum(accounts) as accounts
    from mobile_accounts
    where period = (select max(period) from mobile_accounts)

),

totals as (

    select * from taxpayers
    cross join latest_accounts

),

final as (

    {{ indicator('active_enterprises', 'Doanh nghiệp đang hoạt động', 'Active enterprises', 'enterprises', 'doanh nghiệp', from_cte='totals') }}
    union all
    {{ indicator('enterprises_e_filing_percent', 'Tỷ lệ doanh nghiệp khai thuế điện tử', 'Enterprises filing electronically', share('enterprises_e_filing', 'enterprises'), '%', from_cte='totals') }}
    union all
    {{ indicator('enterprises_e_payment_percent', 'Tỷ lệ doanh nghiệp nộp thuế điện tử', 'Enterprises paying electronically', share('enterprises_e_payment', 'enterprises'), '%', from_cte='totals') }}
    union all
    {{ indicator('enterprises_e_invoice_percent', 'Tỷ lệ doanh nghiệp đăng ký hóa đơn điện tử', 'Enterprises registered for e-invoices', share('enterprises_e_invoice', 'enterprises'), '%', from_cte='totals') }}
    union all
    {{ indicator('households_e_invoice_percent', 'Tỷ lệ hộ kinh doanh kê khai đăng ký hóa đơn điện tử', 'Declaring households registered for e-invoices', share('households_e_invoice', 'households'), '%', from_cte='totals') }}
    union all
    {{ indicator('etax_mobile_accounts', 'Số tài khoản eTax Mobile', 'eTax Mobile accounts', 'accounts', 'tài khoản', from_cte='totals') }}

)

select * from final
