-- Seeds 000-003: 99.5% e-filing, over 99.1% e-payment, e-invoices 99.16% of enterprises and
-- 99.98% of households, 61,917 eTax Mobile accounts.
with

by_ward as (select * from {{ ref('mart_tax_e_services_by_ward') }}),

enterprises as (select * from by_ward where taxpayer_type = 'doanh_nghiep'),

households as (select * from by_ward where taxpayer_type = 'ho_kinh_doanh'),

accounts as (
    select * from {{ ref('fct_etax_mobile_accounts') }}
    where period = (select max(period) from {{ ref('fct_etax_mobile_accounts') }})
)

{{ indicator('active_enterprises', 'Doanh nghiệp đang hoạt động', 'Active enterprises', '(select sum(active_taxpayers) from enterprises)', 'doanh nghiệp') }}
union all
{{ indicator('enterprises_e_filing_percent', 'Tỷ lệ doanh nghiệp khai thuế điện tử', 'Enterprises filing electronically', share('(select sum(e_filing_taxpayers) from enterprises)', '(select sum(active_taxpayers) from enterprises)'), '%') }}
union all
{{ indicator('enterprises_e_payment_percent', 'Tỷ lệ doanh nghiệp nộp thuế điện tử', 'Enterprises paying electronically', share('(select sum(e_payment_taxpayers) from enterprises)', '(select sum(active_taxpayers) from enterprises)'), '%') }}
union all
{{ indicator('enterprises_e_invoice_percent', 'Tỷ lệ doanh nghiệp đăng ký hóa đơn điện tử', 'Enterprises registered for e-invoices', share('(select sum(e_invoice_taxpayers) from enterprises)', '(select sum(active_taxpayers) from enterprises)'), '%') }}
union all
{{ indicator('households_e_invoice_percent', 'Tỷ lệ hộ kinh doanh kê khai đăng ký hóa đơn điện tử', 'Declaring households registered for e-invoices', share('(select sum(e_invoice_taxpayers) from households)', '(select sum(active_taxpayers) from households)'), '%') }}
union all
{{ indicator('etax_mobile_accounts', 'Số tài khoản eTax Mobile', 'eTax Mobile accounts', '(select sum(accounts) from accounts)', 'tài khoản') }}
