-- Typed health-record counts per ward and month, from a Windows-1258 file (decoded by the
-- loader; NFC here). A row for an earlier month in a later file arrived late (sống).
with

source as (

    select * from {{ source('raw_hanoi_health', 'raw_electronic_health_records') }}

),

wards as (

    {{ ward_lookup(province_code('hanoi_health')) }}

),

renamed as (

    select
        {{ ward_code_text('ward_code') }} as ward_code_sent,
        {{ code_padded('ward_code') }} as ward_code_padded,
        {{ visible_text('ward_code') }} as ward_code_as_typed,
        {{ identifier_normalised('ward_code') }} as ward_code_normalised,
        {{ clean_text('period') }} as period_text,
        {{ parse_period_vn('period') }} as period,
        {{ clean_text('records_opened') }} as records_opened_text,
        {{ parse_integer('records_opened') }} as records_opened,
        {{ clean_text('records_linked') }} as records_linked_text,
        {{ parse_integer('records_linked') }} as records_linked,
        {{ clean_text('note') }} as note,
        {{ file_period() }} as file_period,
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
    {{ filled_and_valid('renamed.period_text', 'renamed.period') }} as period_valid,
    {{ integer_problem('renamed.records_opened_text', 'renamed.records_opened') }} as records_opened_problem,
    {{ valid_unless_problem('renamed.records_opened_text', 'records_opened_problem') }} as records_opened_valid,
    {{ integer_problem('renamed.records_linked_text', 'renamed.records_linked') }} as records_linked_problem,
    {{ valid_unless_problem('renamed.records_linked_text', 'records_linked_problem') }} as records_linked_valid,
    case
        when renamed.period is not null and renamed.file_period is not null
            then renamed.period >= renamed.file_period
    end as on_time,
    row_number() over (
        partition by coalesce(wards.ward_code, renamed.ward_code_sent), renamed.period
        order by renamed._source_file, renamed._source_row
    ) as ward_period_occurrence
from renamed
left join wards on {{ ward_join('renamed.ward_code_sent', period_start('renamed.period')) }}
