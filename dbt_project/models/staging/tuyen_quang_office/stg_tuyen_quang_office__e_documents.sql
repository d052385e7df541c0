-- Typed e-documents and meeting documents of the provincial people's committee office.
with

source as (

    select * from {{ source('raw_tuyen_quang_office', 'raw_e_documents') }}

),

renamed as (

    select
        upper(replace({{ identifier_text('doc_number') }}, ' ', '')) as doc_number,
        {{ visible_text('doc_number') }} as doc_number_as_typed,
        {{ identifier_normalised('doc_number') }} as doc_number_normalised,
        {{ clean_text('issued_on') }} as issued_on_text,
        {{ parse_date_strict('issued_on', ['%d/%m/%Y']) }} as issued_on,
        {{ clean_text('category') }} as category,
        {{ clean_text('signing') }} as signing,
        {{ clean_text('session') }} as session_text,
        {{ parse_integer('session', sql_type='integer') }} as session,
        {{ clean_text('agenda_item') }} as agenda_item_text,
        {{ parse_integer('agenda_item', sql_type='integer') }} as agenda_item,
        {{ clean_text('summary') }} as summary,
        regexp_extract(_source_file, '(\d{4})', 1) as file_year,
        _source_file,
        _source_row

    from source

)

select
    *,
    {{ date_problem('issued_on_text', 'issued_on', ['%d/%m/%Y']) }} as issued_on_problem,
    {{ valid_unless_problem('issued_on_text', 'issued_on_problem') }} as issued_on_valid,
    case when issued_on is not null then strftime(issued_on, '%Y') = file_year end as issued_in_period,
    {{ integer_problem('session_text', 'session') }} as session_problem,
    {{ valid_unless_problem('session_text', 'session_problem') }} as session_valid,
    {{ integer_problem('agenda_item_text', 'agenda_item') }} as agenda_item_problem,
    {{ valid_unless_problem('agenda_item_text', 'agenda_item_problem') }} as agenda_item_valid,
    row_number() over (partition by doc_number order by _source_file, _source_row) as doc_occurrence
from renamed
