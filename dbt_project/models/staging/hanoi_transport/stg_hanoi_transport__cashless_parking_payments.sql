-- Typed daily parking transactions per lot (semicolon-separated files).
with

source as (

    select * from {{ source('raw_hanoi_transport', 'raw_cashless_parking_payments') }}

),

wards as (

    {{ ward_lookup(province_code('hanoi_transport')) }}

),

renamed as (

    select
        upper({{ clean_text('lot_id') }}) as lot_id,
        {{ clean_text('lot_name') }} as lot_name,
        {{ ward_code_text('ward_code') }} as ward_code_sent,
        {{ clean_text('day') }} as day_text,
        {{ parse_date_vn('day') }} as day,
        {{ clean_text('transactions') }} as transactions_text,
        try_cast({{ clean_text('transactions') }} as bigint) as transactions,
        {{ clean_text('cashless_transactions') }} as cashless_transactions_text,
        try_cast({{ clean_text('cashless_transactions') }} as bigint) as cashless_transactions,
        {{ clean_text('revenue_vnd') }} as revenue_vnd_text,
        try_cast({{ clean_text('revenue_vnd') }} as bigint) as revenue_vnd,
        {{ clean_text('cashless_revenue_vnd') }} as cashless_revenue_vnd_text,
        try_cast({{ clean_text('cashless_revenue_vnd') }} as bigint) as cashless_revenue_vnd,
        _source_file,
        _source_row

    from source

)

select
    renamed.*,
    coalesce(wards.ward_code, renamed.ward_code_sent) as ward_code,
    wards.ward_name,
    wards.ward_candidates,
    {{ ward_status('renamed.ward_code_sent', 'wards.ward_code_status') }} as ward_code_status,
    {{ filled_and_valid('renamed.day_text', 'renamed.day') }} as day_valid,
    {{ filled_and_valid('renamed.transactions_text', 'renamed.transactions') }} as transactions_valid,
    {{ filled_and_valid('renamed.cashless_transactions_text', 'renamed.cashless_transactions') }}
        as cashless_transactions_valid,
    {{ filled_and_valid('renamed.revenue_vnd_text', 'renamed.revenue_vnd') }} as revenue_vnd_valid,
    {{ filled_and_valid('renamed.cashless_revenue_vnd_text', 'renamed.cashless_revenue_vnd') }}
        as cashless_revenue_vnd_valid,
    row_number() over (
        partition by renamed.lot_id, coalesce(renamed.day::varchar, renamed.day_text)
        order by renamed._source_file, renamed._source_row
    ) as lot_day_occurrence
from renamed
left join wards on renamed.ward_code_sent = wards.input_code
