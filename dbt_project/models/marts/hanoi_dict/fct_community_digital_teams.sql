-- Validated teams only: every row the quality gate quarantined is left out.
with

validated as (

    {{ not_quarantined(ref('stg_hanoi_dict__community_digital_teams'), 'community_digital_teams') }}

),

final as (

    select
        team_id,
        team_name,
        ward_code,
        ward_name,
        former_district,
        member_count,
        established_date,
        _source_file,
        _source_row

    from validated

)

select * from final
