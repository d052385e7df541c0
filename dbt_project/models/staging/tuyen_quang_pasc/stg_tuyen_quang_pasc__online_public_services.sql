with

source as (

    select * from {{ source('raw_tuyen_quang_pasc', 'raw_online_public_services') }}

),

renamed as (

    select
        {{ identifier_text('service_code') }} as service_code,
        {{ visible_text('service_code') }} as service_code_as_typed,
        {{ identifier_normalised('service_code') }} as service_code_normalised,
        {{ clean_text('service_name') }} as service_name,
        {{ parse_integer('service_level', sql_type='integer') }} as service_level,
        {{ clean_text('service_level') }} as service_level_text,
        {{ clean_text('field') }} as field,
        {{ clean_text('agency') }} as agency,
        _source_file,
        _source_row

    from source

),

final as (

    select
        *,
        row_number() over (
            partition by service_code order by _source_file, _source_row
        ) as service_occurrence

    from renamed

)

select * from final
