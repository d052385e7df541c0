-- Validated payments per ward, month and type (pre-2025 codes already mapped to the new ward).
with

validated as (

    {{ not_quarantined(ref('stg_hanoi_labour__cashless_social_payments'), 'cashless_social_payments') }}

),

final as (

    select
        ward_code,
        ward_name,
        period,
        payment_type,
        beneficiaries,
        paid_cashless,
        amount_vnd,
        _source_file,
        _source_row

    from validated

)

select * from final
