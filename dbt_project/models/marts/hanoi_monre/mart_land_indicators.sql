-- Seed 001: 81.06% of land-registration dossiers paid through the national portal, over 46 billion VND.
with

dossiers as (

    select * from {{ ref('fct_land_registration_payments') }}

),

totals as (

    select
        count(*) as dossiers,
        count(*) filter (where paid_via_portal) as paid_via_portal,
        sum(amount_vnd) filter (where paid_via_portal) as amount_via_portal_vnd

    from dossiers

),

final as (

    {{ indicator('dossiers_total', 'Số hồ sơ đăng ký đất đai', 'Land-registration dossiers', 'dossiers', 'hồ sơ', from_cte='totals') }}
    union all
    {{ indicator('paid_via_portal', 'Hồ sơ thanh toán qua Cổng DVCQG', 'Dossiers paid through the national portal', 'paid_via_portal', 'hồ sơ', from_cte='totals') }}
    union all
    {{ indicator('paid_via_portal_percent', 'Tỷ lệ hồ sơ thanh toán qua Cổng DVCQG', 'Share paid through the national portal', share('paid_via_portal', 'dossiers'), '%', from_cte='totals') }}
    union all
    {{ indicator('amount_via_portal_vnd', 'Số tiền thanh toán qua Cổng DVCQG', 'Amount paid through the national portal', 'amount_via_portal_vnd', 'đồng', from_cte='totals') }}

)

select * from final
