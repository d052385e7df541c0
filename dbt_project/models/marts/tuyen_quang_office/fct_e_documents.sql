-- Validated e-documents and meeting documents.
with

validated as (

    {{ not_quarantined(ref('stg_tuyen_quang_office__e_documents'), 'e_documents') }}

),

final as (

    select
        doc_number,
        issued_on,
        category,
        signing,
        session,
        agenda_item,
        summary,
        _source_file,
        _source_row

    from validated

)

select * from final
