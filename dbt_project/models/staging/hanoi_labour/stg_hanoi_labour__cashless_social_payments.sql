-- Typed payments per ward, month and payment type. The type is matched on its label as
-- people mean it (case, spacing, NFC vs NFD do not make a new type).
with

source as (

    select * from {{ source('raw_hanoi_labour', 'raw_cashless_social_payments') }}

),

wards as (

    {{ ward_lookup(province_code('hanoi_labour')) }}

),

renamed as (

    select
        {{ ward_code_text('ward_code') }} as ward_code_sent,
        {{ code_padded('ward_code') }} as ward_code_padded,
        {{ visible_text('ward_code') }} as ward_code_as_typed,
        {{ identifier_normalised('ward_code') }} as ward_code_normalised,
        {{ clean_text('period') }} as period_text,
        {{ parse_period_vn('period') }} as period,
        {{ clean_text('payment_type') }} as payment_type_sent,
        case lower({{ clean_text('payment_type') }})
            when 'lương hưu' then 'Lương hưu'
            when 'trợ cấp bảo hiểm xã hội' then 'Trợ cấp bảo hiểm xã hội'
            when 'trợ cấp xã hội' then 'Trợ cấp xã hội'
        end as payment_type,
        {{ clean_text('beneficiaries') }} as beneficiaries_text,
        {{ parse_integer('beneficiaries') }} as beneficiaries,
        {{ clean_text('paid_cashless') }} as paid_cashless_text,
        {{ parse_integer('paid_cashless') }} as paid_cashless,
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
    {{ ward_reference_date(period_start('renamed.period')) }} as ward_code_reference_date,
    {{ ward_status('renamed.ward_code_sent', 'wards.ward_code_status') }} as ward_code_status,
    {{ filled_and_valid('renamed.period_text', 'renamed.period') }} as period_valid,
    {{ filled_and_valid('renamed.payment_type_sent', 'renamed.payment_type') }} as payment_type_known,
    {{ integer_problem('renamed.beneficiaries_text', 'renamed.beneficiaries') }} as beneficiaries_problem,
    {{ valid_unless_problem('renamed.beneficiaries_text', 'beneficiaries_problem') }} as beneficiaries_valid,
    {{ integer_problem('renamed.paid_cashless_text', 'renamed.paid_cashless') }} as paid_cashless_problem,
    {{ valid_unless_problem('renamed.paid_cashless_text', 'paid_cashless_problem') }} as paid_cashless_valid,
    {{ integer_problem('renamed.amount_vnd_text', 'renamed.amount_vnd') }} as amount_vnd_problem,
    {{ valid_unless_problem('renamed.amount_vnd_text', 'amount_vnd_problem') }} as amount_vnd_valid,
    row_number() over (
        partition by
            coalesce(wards.ward_code, renamed.ward_code_sent),
            renamed.period,
            coalesce(renamed.payment_type, renamed.payment_type_sent)
        order by renamed._source_file, renamed._source_row
    ) as payment_occurrence
from renamed
left join wards on {{ ward_join('renamed.ward_code_sent', period_start('renamed.period')) }}
