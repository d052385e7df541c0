-- Typed e-documents and meeting documents of the provincial people's committee office.
with

source as (

    select * from {{ source('raw_tuyen_quang_office', 'raw_e_documents') }}

),

renamed as (

    select
        upper(replace({{ clean_text('doc_number') }}, ' ', '')) as doc_number,
        {{ clean_text('issued_on') }} as issued_on_text,
        {{ parse_date_vn('issued_on') }} as issued_on,
        {{ clean_text('category') }} as category,
        {{ clean_text('signing') }} as signing,
        {{ clean_text('session') }} as session_text,
        try_cast({{ clean_text('session') }} as integer) as session,
        {{ clean_text('agenda_item') }} as agenda_item_text,
        try_cast({{ clean_text('agenda_item') }} as integer) as agenda_item,
        {{ clean_text('summary') }} as summary,
        regexp_extract(_source_file, '(\d{4})', 1) as file_year,
        _source_file,
        _source_row

    from source

)

select
    *,
    {{ filled_and_valid('issued_on_text', 'issued_on') }} as issued_on_valid,
    case when issued_on is not null then strftime(issued_on, '%Y') = file_year end as issued_in_period,
    {{ filled_and_valid('session_text', 'session') }} as session_valid,
    row_number() over (partition by doc_number order by _source_file, _source_row) as doc_occurrence
from renamed
