with

services as (

    {{ not_quarantined(ref('stg_tuyen_quang_pasc__online_public_services'), 'online_public_services') }}

),

dossiers as (

    select
        service_code,
        count(*) as dossiers_received
    from {{ ref('fct_admin_procedure_dossiers') }}
    group by service_code

),

final as (

    select
        services.service_code,
        services.service_name,
        services.service_level,
        services.field,
        services.agency,
        coalesce(dossiers.dossiers_received, 0) as dossiers_received

    from services
    left join dossiers on services.service_code = dossiers.service_code

)

select * from final
