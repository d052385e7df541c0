-- The centre's published indicators (seed 004), computed from validated rows only: each
-- count names the indicator it is a share of, then the shares and the period are added.
with

dossiers as (

    select * from {{ ref('fct_admin_procedure_dossiers') }}

),

services as (

    select * from {{ ref('dim_online_public_services') }}

),

period as (

    select
        date_trunc('month', min(received_date))::date as period_start,
        last_day(max(received_date)) as period_end

    from dossiers

),

received as (

    select
        'received_total' as indicator,
        null as share_of,
        'Tổng số hồ sơ tiếp nhận' as label_vi,
        'Dossiers received' as label_en,
        count(*) as value

    from dossiers

),

received_by_channel as (

    select
        'received_' || channel as indicator,
        'received_total' as share_of,
        case channel
            when 'direct' then 'Hồ sơ nhận trực tiếp'
            when 'online' then 'Hồ sơ nhận trực tuyến'
            else 'Hồ sơ nhận qua bưu chính công ích'
        end as label_vi,
        case channel
            when 'direct' then 'Dossiers received in person'
            when 'online' then 'Dossiers received online'
            else 'Dossiers received by public postal service'
        end as label_en,
        count(*) as value

    from dossiers
    group by channel

),

resolved as (

    select
        'resolved_total' as indicator,
        null as share_of,
        'Tổng số hồ sơ đã giải quyết, trả kết quả' as label_vi,
        'Dossiers resolved' as label_en,
        count(*) as value

    from dossiers
    where resolved_date is not null

),

resolved_by_timeliness as (

    select
        'resolved_' || timeliness as indicator,
        'resolved_total' as share_of,
        case timeliness
            when 'early' then 'Hồ sơ trả trước hạn'
            when 'on_time' then 'Hồ sơ trả đúng hạn'
            else 'Hồ sơ trả trễ hạn'
        end as label_vi,
        case timeliness
            when 'early' then 'Dossiers resolved early'
            when 'on_time' then 'Dossiers resolved on time'
            else 'Dossiers resolved late'
        end as label_en,
        count(*) as value

    from dossiers
    where timeliness is not null
    group by timeliness

),

services_total as (

    select
        'services_total' as indicator,
        null as share_of,
        'Tổng số dịch vụ công trực tuyến' as label_vi,
        'Online public services' as label_en,
        count(*) as value

    from services

),

services_by_level as (

    select
        'services_level_' || service_level as indicator,
        'services_total' as share_of,
        'Dịch vụ công trực tuyến mức độ ' || service_level as label_vi,
        'Online public services at level ' || service_level as label_en,
        count(*) as value

    from services
    group by service_level

),

services_with_dossiers_by_level as (

    select
        'services_level_' || service_level || '_with_dossiers' as indicator,
        'services_level_' || service_level as share_of,
        'Dịch vụ công mức độ ' || service_level || ' có phát sinh hồ sơ' as label_vi,
        'Level-' || service_level || ' services with at least one dossier' as label_en,
        count(*) as value

    from services
    where dossiers_received > 0
    group by service_level

),

counts as (

    select * from received
    union all
    select * from received_by_channel
    union all
    select * from resolved
    union all
    select * from resolved_by_timeliness
    union all
    select * from services_total
    union all
    select * from services_by_level
    union all
    select * from services_with_dossiers_by_level

),

final as (

    select
        counts.indicator,
        counts.label_vi,
        counts.label_en,
        counts.value,
        round(100.0 * counts.value / whole.value, 2) as share_percent,
        period.period_start,
        period.period_end

    from counts
    left join counts as whole on counts.share_of = whole.indicator
    cross join period

)

select * from final
order by indicator
