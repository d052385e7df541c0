-- City-wide totals of validated activations (large enough never to identify anyone; the
-- small-cell data test on this model holds every person count at 5 or more).
with

validated as (

    {{ not_quarantined(ref('stg_hanoi_police__vneid_activations'), 'vneid_activations') }}

),

totals as (

    select
        count(*) as activations,
        count(*) filter (where account_level = '2') as level_2_activations,
        count(distinct ward_code) as wards_with_activations

    from validated

),

final as (

    {{ indicator(
        id='activations_total',
        label_vi='Số tài khoản định danh điện tử được kích hoạt',
        label_en='E-identification accounts activated',
        value='activations',
        unit='tài khoản',
        from_cte='totals',
    ) }}
    union all
    {{ indicator(
        id='level_2_percent',
        label_vi='Tỷ lệ tài khoản mức 2',
        label_en='Share of level-2 accounts',
        value=share('level_2_activations', 'activations'),
        unit='%',
        from_cte='totals',
    ) }}
    union all
    {{ indicator(
        id='wards_with_activations',
        label_vi='Số phường/xã có công dân kích hoạt',
        label_en='Wards with activations',
        value='wards_with_activations',
        unit='phường/xã',
        from_cte='totals',
    ) }}

)

select * from final
