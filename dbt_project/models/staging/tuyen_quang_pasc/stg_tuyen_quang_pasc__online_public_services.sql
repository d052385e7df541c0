with

source as (

    select * from {{ source('raw_tuyen_quang_pasc', 'raw_online_public_services') }}

),

renamed as (

    select
        {{ clean_text('service_code') }} as service_code,
        {{ clean_text('service_name') }} as service_name,
        try_cast({{ clean_text('service_level') }} as integer) as service_level,
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
