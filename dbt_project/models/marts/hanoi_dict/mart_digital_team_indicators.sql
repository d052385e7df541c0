-- Teams and members (seeds 000-003: 545 teams, 2,396 members in 4 districts).
with

teams as (

    select * from {{ ref('fct_community_digital_teams') }}

),

final as (

    select 'teams_total' as indicator, 'Số tổ công nghệ số cộng đồng' as label_vi,
        'Community digital technology teams' as label_en, count(*) as value
    from teams
    union all
    select 'members_total', 'Số thành viên tổ công nghệ số cộng đồng',
        'Members of community digital technology teams', sum(member_count)
    from teams
    union all
    select 'districts_total', 'Số quận/huyện (trước sắp xếp) có tổ', 'Districts (before the reform) with teams',
        count(distinct former_district)
    from teams
    union all
    select 'teams_' || strip_accents(lower(replace(former_district, ' ', '_'))),
        'Số tổ — ' || former_district, 'Teams — ' || former_district, count(*)
    from teams group by former_district

)

select * from final
order by indicator
