-- Validated dossiers only: every row the quality gate quarantined is left out.
with

validated as (

    {{ not_quarantined(ref('stg_tuyen_quang_pasc__admin_procedure_dossiers'), 'admin_procedure_dossiers') }}

),

final as (

    select
        dossier_id,
        service_code,
        service_level,
        channel,
        commune_code,
        received_date,
        due_date,
        resolved_date,
        timeliness,
        _source_file,
        _source_row

    from validated

)

select * from final
