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
        upper({{ identifier_text('lot_id') }}) as lot_id,
        {{ visible_text('lot_id') }} as lot_id_as_typed,
        {{ identifier_normalised('lot_id') }} as lot_id_normalised,
        {{ clean_text('lot_name') }} as lot_name,
        {{ ward_code_text('ward_code') }} as ward_code_sent,
        {{ code_padded('ward_code') }} as ward_code_padded,
        {{ visible_text('ward_code') }} as ward_code_as_typed,
        {{ identifier_normalised('ward_code') }} as ward_code_normalised,
        {{ clean_text('day') }} as day_text,
        {{ parse_date_strict('day', ['%d/%m/%Y']) }} as day,
        {{ clean_text('transactions') }} as transactions_text,
        {{ parse_integer('transactions') }} as transactions,
        {{ clean_text('cashless_transactions') }} as cashless_transactions_text,
        {{ parse_integer('cashless_transactions') }} as cashless_transactions,
        {{ clean_text('revenue_vnd') }} as revenue_vnd_text,
        {{ parse_integer('revenue_vnd', 'vi') }} as revenue_vnd,
        {{ clean_text('cashless_revenue_vnd') }} as cashless_revenue_vnd_text,
        {{ parse_integer('cashless_revenue_vnd', 'vi') }} as cashless_revenue_vnd,
        _source_file,
        _source_row

    from source

)

select
    renamed.*,
    coalesce(wards.ward_code, renamed.ward_code_sent) as ward_code,
    wards.ward_name,
    wards.ward_candidates,
    coalesce(wards.unit_code, renamed.ward_code_sent) as ward_code_in_force,
    {{ ward_reference_date('renamed.day') }} as ward_code_reference_date,
    {{ ward_status('renamed.ward_code_sent', 'wards.ward_code_status') }} as ward_code_status,
    {{ date_problem('renamed.day_text', 'renamed.day', ['%d/%m/%Y']) }} as day_problem,
    {{ valid_unless_problem('renamed.day_text', 'day_problem') }} as day_valid,
    {{ integer_problem('renamed.transactions_text', 'renamed.transactions') }} as transactions_problem,
    {{ valid_unless_problem('renamed.transactions_text', 'transactions_problem') }} as transactions_valid,
    {{ integer_problem('renamed.cashless_transactions_text', 'renamed.cashless_transactions') }}
        as cashless_transactions_problem,
    {{ valid_unless_problem('renamed.cashless_transactions_text', 'cashless_transactions_problem') }}
        as cashless_transactions_valid,
    {{ integer_problem('renamed.revenue_vnd_text', 'renamed.revenue_vnd', 'vi') }} as revenue_vnd_problem,
    {{ valid_unless_problem('renamed.revenue_vnd_text', 'revenue_vnd_problem') }} as revenue_vnd_valid,
    {{ integer_problem('renamed.cashless_revenue_vnd_text', 'renamed.cashless_revenue_vnd', 'vi') }}
        as cashless_revenue_vnd_problem,
    {{ valid_unless_problem('renamed.cashless_revenue_vnd_text', 'cashless_revenue_vnd_problem') }}
        as cashless_revenue_vnd_valid,
    row_number() over (
        partition by renamed.lot_id, coalesce(renamed.day::varchar, renamed.day_text)
        order by renamed._source_file, renamed._source_row
    ) as lot_day_occurrence
from renamed
left join wards on {{ ward_join('renamed.ward_code_sent', 'renamed.day') }}
