{#- A ward code as people type it: Excel drops the leading zeros ("70" for "00070"); invisible
    and full-width characters are normalised as in every identifier (identifier_text). -#}
{% macro ward_code_text(column) -%}
    case when regexp_full_match({{ identifier_text(column) }}, '\d{1,5}')
        then lpad({{ identifier_text(column) }}, 5, '0') else {{ identifier_text(column) }} end
{%- endmacro %}

{#- Every code a row may carry for a ward of the province: current ones, and pre-2025 ones
    mapped to the ward they became ('legacy_mapped') or flagged as split ('legacy_split'),
    with the new wards a split one went to ('00073 Phường Cửa Nam, 00070 Phường Hoàn Kiếm')
    so the steward can choose. The crosswalk holds no current code (tests/unit/test_reference.py). -#}
{% macro ward_lookup(province) -%}
    select ward_code as input_code, ward_code, ward_name, 'current' as ward_code_status,
        null::varchar as ward_candidates
    from {{ source('reference', 'ref_wards') }}
    where province_code = '{{ province }}'
    union all
    select legacy.old_code, legacy.new_code, current_wards.ward_name,
        case legacy.mapping when 'whole' then 'legacy_mapped' else 'legacy_split' end,
        nullif(legacy.candidate_names, '')
    from {{ source('reference', 'ref_legacy_wards') }} as legacy
    left join {{ source('reference', 'ref_wards') }} as current_wards on current_wards.ward_code = legacy.new_code
    where legacy.province_code = '{{ province }}'
{%- endmacro %}

{#- The status of a sent ward code once looked up: null when nothing was sent. -#}
{% macro ward_status(sent, looked_up_status) -%}
    case when {{ sent }} is not null then coalesce({{ looked_up_status }}, 'unknown') end
{%- endmacro %}

{#- Có/Không as departments type it; null when empty or anything else. -#}
{% macro parse_bool_vn(column) -%}
    case lower({{ clean_text(column) }})
        when 'có' then true when 'x' then true when 'true' then true
        when 'không' then false when 'false' then false
    end
{%- endmacro %}

{#- A month as "MM/YYYY" (or "YYYY-MM") -> "YYYY-MM"; null when not a month. The year has four
    digits: strptime alone reads "07/22" as July of the year 22. -#}
{% macro parse_period_vn(column) -%}
    case
        when regexp_full_match({{ clean_text(column) }}, '\d{1,2}/\d{4}')
            then strftime(try_strptime({{ clean_text(column) }}, '%m/%Y'), '%Y-%m')
        when regexp_full_match({{ clean_text(column) }}, '\d{4}-\d{1,2}')
            then strftime(try_strptime({{ clean_text(column) }}, '%Y-%m'), '%Y-%m')
    end
{%- endmacro %}

{#- The period a file covers, from its name (ho_so_2022-07.csv -> 2022-07). -#}
{% macro file_period(column='_source_file') -%}
    nullif(regexp_extract({{ column }}, '(\d{4}-\d{2})', 1), '')
{%- endmacro %}

{#- Whether a text cell that was filled holds a valid typed value: null when empty. -#}
{% macro filled_and_valid(text, typed) -%}
    case when {{ text }} is not null then {{ typed }} is not null end
{%- endmacro %}

{#- One indicator row: id, both labels, value (decimal), unit; `value` is an expression over
    the one-row CTE `from_cte` (the step that computed the totals), when given. -#}
{% macro indicator(id, label_vi, label_en, value, unit, from_cte=none) -%}
    select
        '{{ id }}' as indicator,
        '{{ label_vi }}' as label_vi,
        '{{ label_en }}' as label_en,
        cast({{ value }} as decimal(20, 2)) as value,
        '{{ unit }}' as unit
    {%- if from_cte %}
    from {{ from_cte }}
    {%- endif %}
{%- endmacro %}

{#- 100 * part / whole, two decimals; null when whole is 0. -#}
{% macro share(part, whole) -%}
    round(100.0 * ({{ part }}) / nullif({{ whole }}, 0), 2)
{%- endmacro %}
