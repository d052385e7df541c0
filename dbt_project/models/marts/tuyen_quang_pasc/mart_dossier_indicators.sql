-- The centre's published indicators (seed 004), computed from validated rows only.
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

counts as (

    select 'received_total' as indicator, null as share_of,
        'Tổng số hồ sơ tiếp nhận' as label_vi, 'Dossiers received' as label_en, count(*) as value
    from dossiers
    union all
    select 'received_' || channel, 'received_total',
        case channel when 'direct' then 'Hồ sơ nhận trực tiếp' when 'online' then 'Hồ sơ nhận trực tuyến'
            else 'Hồ sơ nhận qua bưu chính công ích' end,
        case channel when 'direct' then 'Dossiers received in person' when 'online' then 'Dossiers received online'
            else 'Dossiers received by public postal service' end,
        count(*)
    from dossiers group by channel
    union all
    select 'resolved_total', null, 'Tổng số hồ sơ đã giải quyết, trả kết quả',
        'Dossiers resolved', count(*)
    from dossiers where resolved_date is not null
    union all
    select 'resolved_' || timeliness, 'resolved_total',
        case timeliness when 'early' then 'Hồ sơ trả trước hạn' when 'on_time' then 'Hồ sơ trả đúng hạn'
            else 'Hồ sơ trả trễ hạn' end,
        case timeliness when 'early' then 'Dossiers resolved early' when 'on_time' then 'Dossiers resolved on time'
            else 'Dossiers resolved late' end,
        count(*)
    from dossiers where timeliness is not null group by timeliness
    union all
    select 'services_total', null, 'Tổng số dịch vụ công trực tuyến',
        'Online public services', count(*)
    from services
    union all
    select 'services_level_' || service_level, 'services_total',
        'Dịch vụ công trực tuyến mức độ ' || service_level,
        'Online public services at level ' || service_level, count(*)
    from services group by service_level
    union all
    select 'services_level_' || service_level || '_with_dossiers', 'services_level_' || service_level,
        'Dịch vụ công mức độ ' || service_level || ' có phát sinh hồ sơ',
        'Level-' || service_level || ' services with at least one dossier', count(*)
    from services where dossiers_received > 0 group by service_level

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
    left join counts as whole on whole.indicator = counts.share_of
    cross join period

)

select * from final
order by indicator
