-- The only published form of activations: counts per ward and month; counts under 5 are
-- suppressed (null) so that no person can be singled out in a small ward. The data test
-- small_cells_suppressed on this model fails the run if a count under 5 ever gets through.
with

validated as (

    {{ not_quarantined(ref('stg_hanoi_police__vneid_activations'), 'vneid_activations') }}

),

counted as (

    select
        ward_code,
        any_value(ward_name) as ward_name,
        period,
        count(*) as activations,
        count(*) filter (where account_level = '2') as level_2_activations

    from validated
    group by ward_code, period

),

final as (

    select
        ward_code,
        ward_name,
        period,
        case when activations >= 5 then activations end as activations,
        case when level_2_activations >= 5 then level_2_activations end as level_2_activations

    from counted

)

select * from final
