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

    {{ indicator(
        id='records_opened_total',
        label_vi='Số hồ sơ sức khỏe điện tử mở mới',
        label_en='Electronic health records opened',
        value='records_opened',
        unit='hồ sơ',
        from_cte='totals',
    ) }}
    union all
    {{ indicator(
        id='records_linked_total',
        label_vi='Số hồ sơ đã tích hợp VNeID',
        label_en='Records linked to VNeID',
        value='records_linked',
        unit='hồ sơ',
        from_cte='totals',
    ) }}
    union all
    {{ indicator(
        id='records_linked_percent',
        label_vi='Tỷ lệ hồ sơ tích hợp VNeID',
        label_en='Share linked to VNeID',
        value=share('records_linked', 'records_opened'),
        unit='%',
        from_cte='totals',
    ) }}
    union all
    {{ indicator(
        id='wards_reporting',
        label_vi='Số phường/xã báo cáo',
        label_en='Wards reporting',
        value='wards_reporting',
        unit='phường/xã',
        from_cte='totals',
    ) }}

)

select * from final
