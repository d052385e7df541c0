-- Typed taxpayers from the tax department's API. Tax codes are checked as python-stdnum
-- checks them (tax_code_valid, in SQL); representatives' names and phones stop at the raw zone.
with

source as (

    select * from {{ source('raw_hanoi_tax', 'raw_taxpayer_e_services') }}

),

wards as (

    {{ ward_lookup(province_code('hanoi_tax')) }}

),

renamed as (

    select
        regexp_replace({{ identifier_text('tax_code') }}, '[\s.]', '', 'g') as tax_code,
        {{ visible_text('tax_code') }} as tax_code_as_typed,
        {{ identifier_normalised('tax_code') }} as tax_code_normalised,
        {{ clean_text('taxpayer_type') }} as taxpayer_type,
        {{ ward_code_text('ward_code') }} as ward_code_sent,
        {{ code_padded('ward_code') }} as ward_code_padded,
        {{ visible_text('ward_code') }} as ward_code_as_typed,
        {{ identifier_normalised('ward_code') }} as ward_code_normalised,
        {{ clean_text('status') }} as status,
        {{ clean_text('e_filing') }} as e_filing_text,
        {{ clean_text('e_payment') }} as e_payment_text,
        {{ clean_text('e_invoice') }} as e_invoice_text,
        _source_file,
        _source_row

    from source

),

final as (

    select
        -- ward_code_sent (of renamed) moves after its peers; sqlfluff reads exclude's list as a select target.
        renamed.* exclude (ward_code_sent),  -- noqa: RF02
        renamed.ward_code_sent,
        coalesce(wards.ward_code, renamed.ward_code_sent) as ward_code,
        wards.ward_name,
        wards.ward_candidates,
        coalesce(wards.unit_code, renamed.ward_code_sent) as ward_code_in_force,
        {{ ward_reference_date(period_start(file_period('renamed._source_file'))) }} as ward_code_reference_date,
        {{ ward_status('renamed.ward_code_sent', 'wards.ward_code_status') }} as ward_code_status,
        {{ tax_code_valid('renamed.tax_code') }} as tax_code_valid,
        -- The API sends JSON booleans: anything else is a wrong type.
        case renamed.e_filing_text when 'true' then true when 'false' then false end as e_filing,
        case renamed.e_payment_text when 'true' then true when 'false' then false end as e_payment,
        case renamed.e_invoice_text when 'true' then true when 'false' then false end as e_invoice,
        row_number() over (
            partition by renamed.tax_code order by renamed._source_file, renamed._source_row
        ) as taxpayer_occurrence

    from renamed
    left join wards on {{ ward_join('renamed.ward_code_sent', period_start(file_period('renamed._source_file'))) }}

)

select
    *,
    {{ filled_and_valid('e_filing_text', 'e_filing') }} as e_filing_valid,
    {{ filled_and_valid('e_payment_text', 'e_payment') }} as e_payment_valid,
    {{ filled_and_valid('e_invoice_text', 'e_invoice') }} as e_invoice_valid
from final
