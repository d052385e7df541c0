-- Typed and normalised teams. The leader's name and phone stop at the raw zone.
with

source as (

    select * from {{ source('raw_hanoi_dict', 'raw_community_digital_teams') }}

),

wards as (

    {{ ward_lookup(province_code('hanoi_dict')) }}

),

renamed as (

    select
        {{ identifier_text('team_id') }} as team_id,
        {{ visible_text('team_id') }} as team_id_as_typed,
        {{ identifier_normalised('team_id') }} as team_id_normalised,
        {{ clean_text('team_name') }} as team_name,
        {{ code_text('ward_code') }} as ward_code,
        {{ code_padded('ward_code') }} as ward_code_padded,
        {{ clean_text('former_district') }} as former_district,
        {{ clean_text('member_count') }} as member_count_text,
        {{ parse_integer('member_count', sql_type='integer') }} as member_count,
        {{ clean_text('established_date') }} as established_date_text,
        {{ parse_date_strict('established_date', ['%d/%m/%Y']) }} as established_date,
        _source_file,
        _source_row

    from source

),

final as (

    select
        renamed.*,
        case when wards.ward_code_status = 'current' then wards.ward_name end as ward_name,
        -- Known: in force at the roster's date, the file's period (see ward_join).
        case when renamed.ward_code is not null then coalesce(wards.ward_code_status = 'current', false) end
            as ward_code_known,
        {{ integer_problem('renamed.member_count_text', 'renamed.member_count') }} as member_count_problem,
        {{ valid_unless_problem('renamed.member_count_text', 'member_count_problem') }} as member_count_valid,
        {{ date_problem('renamed.established_date_text', 'renamed.established_date', ['%d/%m/%Y']) }}
            as established_date_problem,
        {{ valid_unless_problem('renamed.established_date_text', 'established_date_problem') }}
            as established_date_valid,
        row_number() over (
            partition by renamed.team_id order by renamed._source_file, renamed._source_row
        ) as team_occurrence

    from renamed
    left join wards on {{ ward_join('renamed.ward_code', period_start(file_period('renamed._source_file'))) }}

)

select * from final
