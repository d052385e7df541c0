-- eTax Mobile accounts per ward; "70" and "00070" are the same ward.
with

source as (

    select * from {{ source('raw_hanoi_tax', 'raw_etax_mobile_accounts') }}

),

wards as (

    {{ ward_lookup(province_code('hanoi_tax')) }}

),

renamed as (

    select
        {{ ward_code_text('ward_code') }} as ward_code_sent,
        {{ code_padded('ward_code') }} as ward_code_padded,
        {{ visible_text('ward_code') }} as ward_code_as_typed,
        {{ identifier_normalised('ward_code') }} as ward_code_normalised,
        {{ clean_text('period') }} as period_text,
        {{ parse_period_vn('period') }} as period,
        {{ clean_text('accounts') }} as accounts_text,
        {{ parse_integer('accounts') }} as accounts,
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
    {{ ward_reference_date(period_start('renamed.period')) }} as ward_code_reference_date,
    {{ ward_status('renamed.ward_code_sent', 'wards.ward_code_status') }} as ward_code_status,
    {{ integer_problem('renamed.accounts_text', 'renamed.accounts') }} as accounts_problem,
    {{ valid_unless_problem('renamed.accounts_text', 'accounts_problem') }} as accounts_valid,
    {{ filled_and_valid('renamed.period_text', 'renamed.period') }} as period_valid,
    row_number() over (
        partition by coalesce(wards.ward_code, renamed.ward_code_sent), renamed.period
        order by renamed._source_file, renamed._source_row
    ) as ward_period_occurrence
from renamed
left join wards on {{ ward_join('renamed.ward_code_sent', period_start('renamed.period')) }}
