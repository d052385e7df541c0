-- Seed 001: 81.06% of land-registration dossiers paid through the national portal, over 46 billion VND.
with dossiers as (select * from {{ ref('fct_land_registration_payments') }})

{{ indicator('dossiers_total', 'Số hồ sơ đăng ký đất đai', 'Land-registration dossiers', '(select count(*) from dossiers)', 'hồ sơ') }}
union all
{{ indicator('paid_via_portal', 'Hồ sơ thanh toán qua Cổng DVCQG', 'Dossiers paid through the national portal', '(select count(*) from dossiers where paid_via_portal)', 'hồ sơ') }}
union all
{{ indicator('paid_via_portal_percent', 'Tỷ lệ hồ sơ thanh toán qua Cổng DVCQG', 'Share paid through the national portal', share('(select count(*) from dossiers where paid_via_portal)', '(select count(*) from dossiers)'), '%') }}
union all
{{ indicator('amount_via_portal_vnd', 'Số tiền thanh toán qua Cổng DVCQG', 'Amount paid through the national portal', '(select sum(amount_vnd) from dossiers where paid_via_portal)', 'đồng') }}
