-- Teams and members (seeds 000-003: 545 teams, 2,396 members in 4 districts).
with

teams as (

    select * from {{ ref('fct_community_digital_teams') }}

),

totals as (

    select
        'teams_total' as indicator,
        'Số tổ công nghệ số cộng đồng' as label_vi,
        'Community digital technology teams' as label_en,
        count(*) as value

    from teams

),

members as (

    select
        'members_total' as indicator,
        'Số thành viên tổ công nghệ số cộng đồng' as label_vi,
        'Members of community digital technology teams' as label_en,
        sum(member_count) as value

    from teams

),

districts as (

    select
        'districts_total' as indicator,
        'Số quận/huyện (trước sắp xếp) có tổ' as label_vi,
        'Districts (before the reform) with teams' as label_en,
        count(distinct former_district) as value

    from teams

),

teams_by_district as (

    select
        'teams_' || strip_accents(lower(replace(former_district, ' ', '_'))) as indicator,
        'Số tổ — ' || former_district as label_vi,
        'Teams — ' || former_district as label_en,
        count(*) as value

    from teams
    group by former_district

),

final as (

    select * from totals
    union all
    select * from members
    union all
    select * from districts
    union all
    select * from teams_by_district

)

select * from final
order by indicator
