-- Electronic health records opened and linked to VNeID, from validated counts only.
with

records as (

    select * from {{ ref('fct_electronic_health_records') }}

),

totals as (

    select
        sum(records_opened) as records_opened,
        sum(records_linked) as records_linked,
        count(distinct ward_code) as wards_reporting

    from records

),

final as (

    {{ indicator('records_opened_total', 'Số hồ sơ sức khỏe điện tử mở mới', 'Electronic health records opened', 'records_opened', 'hồ sơ', from_cte='totals') }}
    union all
    {{ indicator('records_linked_total', 'Số hồ sơ đã tích hợp VNeID', 'Records linked to VNeID', 'records_linked', 'hồ sơ', from_cte='totals') }}
    union all
    {{ indicator('records_linked_percent', 'Tỷ lệ hồ sơ tích hợp VNeID', 'Share linked to VNeID', share('records_linked', 'records_opened'), '%', from_cte='totals') }}
    union all
    {{ indicator('wards_reporting', 'Số phường/xã báo cáo', 'Wards reporting', 'wards_reporting', 'phường/xã', from_cte='totals') }}

)

select * from final
