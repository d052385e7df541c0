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

    {{ indicator(
        id='dossiers_total',
        label_vi='Số hồ sơ đăng ký đất đai',
        label_en='Land-registration dossiers',
        value='dossiers',
        unit='hồ sơ',
        from_cte='totals',
    ) }}
    union all
    {{ indicator(
        id='paid_via_portal',
        label_vi='Hồ sơ thanh toán qua Cổng DVCQG',
        label_en='Dossiers paid through the national portal',
        value='paid_via_portal',
        unit='hồ sơ',
        from_cte='totals',
    ) }}
    union all
    {{ indicator(
        id='paid_via_portal_percent',
        label_vi='Tỷ lệ hồ sơ thanh toán qua Cổng DVCQG',
        label_en='Share paid through the national portal',
        value=share('paid_via_portal', 'dossiers'),
        unit='%',
        from_cte='totals',
    ) }}
    union all
    {{ indicator(
        id='amount_via_portal_vnd',
        label_vi='Số tiền thanh toán qua Cổng DVCQG',
        label_en='Amount paid through the national portal',
        value='amount_via_portal_vnd',
        unit='đồng',
        from_cte='totals',
    ) }}

)

select * from final
