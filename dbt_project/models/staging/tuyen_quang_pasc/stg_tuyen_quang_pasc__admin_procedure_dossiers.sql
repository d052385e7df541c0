-- Typed and normalised dossiers. Personal columns (applicant name, citizen ID, phone, note)
-- stop at the raw zone: nothing downstream needs them.
with

source as (

    select * from {{ source('raw_tuyen_quang_pasc', 'raw_admin_procedure_dossiers') }}

),

-- The service catalogue is versioned by the files the centre sends: each file is the list of
-- services as of its period, in force until the next file's period, and the first one also
-- for every earlier date (no earlier list was sent). A dossier is checked against the list in
-- force on the day it was received (the newest list when that date is unreadable).
catalogue as (

    select
        service_code,
        service_level,
        {{ period_start(file_period('_source_file')) }} as listed_from,
        row_number() over (
            partition by {{ file_period('_source_file') }}, service_code order by _source_file, _source_row
        ) as occurrence_in_period
    from {{ ref('stg_tuyen_quang_pasc__online_public_services') }}

),

catalogue_versions as (

    select
        listed_from,
        lead(listed_from) over (order by listed_from) as valid_to,
        row_number() over (order by listed_from) = 1 as is_first
    from (select distinct listed_from from catalogue) as periods

),

services as (

    select
        catalogue.service_code,
        catalogue.service_level,
        case when not catalogue_versions.is_first then catalogue.listed_from end as valid_from,
        catalogue_versions.valid_to
    from catalogue
    inner join catalogue_versions
        on catalogue.listed_from is not distinct from catalogue_versions.listed_from
    where catalogue.occurrence_in_period = 1

),

wards as (

    {{ ward_lookup(province_code('tuyen_quang_pasc')) }}

),

renamed as (

    select
        {{ identifier_text('dossier_id') }} as dossier_id,
        {{ visible_text('dossier_id') }} as dossier_id_as_typed,
        {{ identifier_normalised('dossier_id') }} as dossier_id_normalised,
        {{ clean_text('service_code') }} as service_code,
        {{ clean_text('channel') }} as channel_text,
        -- Known spellings map to a code; anything else stays as typed so the gate sees it.
        case lower({{ clean_text('channel') }})
            when 'trực tiếp' then 'direct'
            when 'trực tuyến' then 'online'
            when 'bưu chính công ích' then 'postal'
            else lower({{ clean_text('channel') }})
        end as channel,
        {{ code_text('commune_code') }} as commune_code,
        {{ code_padded('commune_code') }} as commune_code_padded,
        {{ visible_text('commune_code') }} as commune_code_as_typed,
        {{ identifier_normalised('commune_code') }} as commune_code_normalised,
        {{ clean_text('received_date') }} as received_date_text,
        {{ parse_date_strict('received_date', ['%d/%m/%Y']) }} as received_date,
        {{ clean_text('due_date') }} as due_date_text,
        {{ parse_date_strict('due_date', ['%d/%m/%Y']) }} as due_date,
        {{ clean_text('resolved_date') }} as resolved_date_text,
        {{ parse_date_strict('resolved_date', ['%d/%m/%Y']) }} as resolved_date,
        _source_file,
        _source_row

    from source

),

final as (

    select
        renamed.*,
        services.service_level,
        case when wards.ward_code_status = 'current' then wards.ward_name end as commune_name,
        -- Validity flags are null where the value is missing: the not-null rules report
        -- those, so one defect gives one message.
        case when renamed.service_code is not null then services.service_code is not null end
            as service_code_known,
        -- Known: in force on the day the dossier was received (see ward_join).
        case when renamed.commune_code is not null then coalesce(wards.ward_code_status = 'current', false) end
            as commune_code_known,
        {{ date_problem('renamed.received_date_text', 'renamed.received_date', ['%d/%m/%Y']) }}
            as received_date_problem,
        {{ valid_unless_problem('renamed.received_date_text', 'received_date_problem') }} as received_date_valid,
        {{ date_problem('renamed.due_date_text', 'renamed.due_date', ['%d/%m/%Y']) }} as due_date_problem,
        {{ valid_unless_problem('renamed.due_date_text', 'due_date_problem') }} as due_date_valid,
        {{ date_problem('renamed.resolved_date_text', 'renamed.resolved_date', ['%d/%m/%Y']) }}
            as resolved_date_problem,
        {{ valid_unless_problem('renamed.resolved_date_text', 'resolved_date_problem') }} as resolved_date_valid,
        case
            when renamed.resolved_date is null or renamed.due_date is null then null
            when renamed.resolved_date < renamed.due_date then 'early'
            when renamed.resolved_date = renamed.due_date then 'on_time'
            else 'late'
        end as timeliness,
        row_number() over (
            partition by renamed.dossier_id order by renamed._source_file, renamed._source_row
        ) as dossier_occurrence

    from renamed
    left join services
        on
            renamed.service_code = services.service_code
            and case
                when renamed.received_date is null then services.valid_to is null
                else {{ ward_in_force('services', 'renamed.received_date') }}
            end
    left join wards on {{ ward_join('renamed.commune_code', 'renamed.received_date') }}

)

select * from final
