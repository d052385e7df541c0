with records as (select * from {{ ref('fct_electronic_health_records') }})

{{ indicator('records_opened_total', 'Số hồ sơ sức khỏe điện tử mở mới', 'Electronic health records opened', '(select sum(records_opened) from records)', 'hồ sơ') }}
union all
{{ indicator('records_linked_total', 'Số hồ sơ đã tích hợp VNeID', 'Records linked to VNeID', '(select sum(records_linked) from records)', 'hồ sơ') }}
union all
{{ indicator('records_linked_percent', 'Tỷ lệ hồ sơ tích hợp VNeID', 'Share linked to VNeID', share('(select sum(records_linked) from records)', '(select sum(records_opened) from records)'), '%') }}
union all
{{ indicator('wards_reporting', 'Số phường/xã báo cáo', 'Wards reporting', '(select count(distinct ward_code) from records)', 'phường/xã') }}
