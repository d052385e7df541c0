-- Typed activations, person by person. This model holds personal data: it is read only by
-- the quality gate and by the aggregate mart; nothing person-level is ever published.
with

source as (

    select * from {{ source('raw_hanoi_police', 'raw_vneid_activations') }}

),

wards as (

    {{ ward_lookup(province_code('hanoi_police')) }}

),

renamed as (

    select
        regexp_replace({{ identifier_text('citizen_id') }}, '\s', '', 'g') as citizen_id,
        {{ identifier_normalised('citizen_id') }} as citizen_id_normalised,
        {{ clean_text('full_name') }} as full_name,
        {{ clean_text('birth_date') }} as birth_date_text,
        {{ parse_date_strict('birth_date', ['%d/%m/%Y']) }} as birth_date,
        {{ clean_text('sex') }} as sex,
        {{ clean_text('phone') }} as phone_text,
        {{ ward_code_text('ward_code') }} as ward_code_sent,
        {{ code_padded('ward_code') }} as ward_code_padded,
        {{ visible_text('ward_code') }} as ward_code_as_typed,
        {{ identifier_normalised('ward_code') }} as ward_code_normalised,
        {{ clean_text('activated_on') }} as activated_on_text,
        {{ parse_date_strict('activated_on', ['%d/%m/%Y']) }} as activated_on,
        {{ clean_text('account_level') }} as account_level,
        _source_file,
        _source_row

    from source

),

checked as (

    select
        renamed.*,
        {{ citizen_id_problem(
            'renamed.citizen_id',
            'renamed.birth_date',
            "case renamed.sex when 'Nữ' then true when 'Nam' then false end"
        ) }} as citizen_id_problem,
        {{ phone_e164('renamed.phone_text') }} as phone_e164
    from renamed

)

select
    checked.*,
    case
        when checked.citizen_id is not null
            then coalesce(checked.citizen_id_problem, 'ok') not in ('format', 'province')
    end as citizen_id_well_formed,
    case
        when checked.citizen_id is not null
            then coalesce(checked.citizen_id_problem, 'ok') not in ('century_sex', 'birth_year')
    end as citizen_id_consistent,
    {{ filled_and_valid('checked.phone_text', 'checked.phone_e164') }} as phone_valid,
    {{ date_problem('checked.birth_date_text', 'checked.birth_date', ['%d/%m/%Y']) }} as birth_date_problem,
    {{ valid_unless_problem('checked.birth_date_text', 'birth_date_problem') }} as birth_date_valid,
    {{ date_problem('checked.activated_on_text', 'checked.activated_on', ['%d/%m/%Y']) }} as activated_on_problem,
    {{ valid_unless_problem('checked.activated_on_text', 'activated_on_problem') }} as activated_on_valid,
    coalesce(wards.ward_code, checked.ward_code_sent) as ward_code,
    wards.ward_name,
    wards.ward_candidates,
    coalesce(wards.unit_code, checked.ward_code_sent) as ward_code_in_force,
    {{ ward_reference_date('checked.activated_on') }} as ward_code_reference_date,
    {{ ward_status('checked.ward_code_sent', 'wards.ward_code_status') }} as ward_code_status,
    strftime(checked.activated_on, '%Y-%m') as period,
    row_number() over (
        partition by checked.citizen_id order by checked._source_file, checked._source_row
    ) as citizen_occurrence
from checked
left join wards on {{ ward_join('checked.ward_code_sent', 'checked.activated_on') }}
