-- Typed land-registration dossiers. Dossier IDs are compared as people mean them: case,
-- spacing and Unicode form (NFC vs NFD) do not make a new dossier. Applicants, citizen IDs
-- and parcel addresses stop at the raw zone.
with

source as (

    select * from {{ source('raw_hanoi_monre', 'raw_land_registration_payments') }}

),

wards as (

    {{ ward_lookup(province_code('hanoi_monre')) }}

),

renamed as (

    select
        upper(replace({{ identifier_text('dossier_id') }}, ' ', '')) as dossier_id,
        {{ visible_text('dossier_id') }} as dossier_id_as_typed,
        {{ identifier_normalised('dossier_id') }} as dossier_id_normalised,
        {{ ward_code_text('ward_code') }} as ward_code_sent,
        {{ code_padded('ward_code') }} as ward_code_padded,
        {{ visible_text('ward_code') }} as ward_code_as_typed,
        {{ identifier_normalised('ward_code') }} as ward_code_normalised,
        {{ clean_text('received_date') }} as received_date_text,
        {{ parse_date_strict('received_date', ['%d/%m/%Y']) }} as received_date,
        {{ clean_text('procedure') }} as procedure,
        {{ clean_text('paid_via_portal') }} as paid_via_portal_text,
        {{ parse_bool_vn('paid_via_portal') }} as paid_via_portal,
        {{ clean_text('amount_vnd') }} as amount_vnd_text,
        {{ parse_integer('amount_vnd') }} as amount_vnd,
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
    {{ ward_reference_date('renamed.received_date') }} as ward_code_reference_date,
    {{ ward_status('renamed.ward_code_sent', 'wards.ward_code_status') }} as ward_code_status,
    {{ date_problem('renamed.received_date_text', 'renamed.received_date', ['%d/%m/%Y']) }} as received_date_problem,
    {{ valid_unless_problem('renamed.received_date_text', 'received_date_problem') }} as received_date_valid,
    {{ filled_and_valid('renamed.paid_via_portal_text', 'renamed.paid_via_portal') }} as paid_via_portal_valid,
    {{ integer_problem('renamed.amount_vnd_text', 'renamed.amount_vnd') }} as amount_vnd_problem,
    {{ valid_unless_problem('renamed.amount_vnd_text', 'amount_vnd_problem') }} as amount_vnd_valid,
    row_number() over (
        partition by renamed.dossier_id order by renamed._source_file, renamed._source_row
    ) as dossier_occurrence
from renamed
left join wards on {{ ward_join('renamed.ward_code_sent', 'renamed.received_date') }}
