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

    {{ indicator('activations_total', 'Số tài khoản định danh điện tử được kích hoạt', 'E-identification accounts activated', 'activations', 'tài khoản', from_cte='totals') }}
    union all
    {{ indicator('level_2_percent', 'Tỷ lệ tài khoản mức 2', 'Share of level-2 accounts', share('level_2_activations', 'activations'), '%', from_cte='totals') }}
    union all
    {{ indicator('wards_with_activations', 'Số phường/xã có công dân kích hoạt', 'Wards with activations', 'wards_with_activations', 'phường/xã', from_cte='totals') }}

)

select * from final
