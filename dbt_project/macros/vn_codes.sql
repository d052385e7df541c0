{#- A code of fixed width as people type it: Excel drops the leading zeros ("70" for ward
    "00070"), so a code of digits shorter than its width is padded with zeros to it; invisible
    and full-width characters are normalised as in every identifier (identifier_text). The
    width is the column's code_width in the dataset's contract (contract_code_widths, generated
    from the contracts), or `width` when given. -#}
{% macro code_text(column, width=none) -%}
    {%- set width = width or code_width(column) -%}
    {%- if width > 1 -%}
    case when regexp_full_match({{ identifier_text(column) }}, '\d{1,{{ width - 1 }}}')
        then lpad({{ identifier_text(column) }}, {{ width }}, '0') else {{ identifier_text(column) }} end
    {%- else -%}
    {{ identifier_text(column) }}
    {%- endif -%}
{%- endmacro %}

{#- Whether code_text padded the code (digits only, shorter than the width): the row is kept
    and the steward is warned; null when the cell is empty. -#}
{% macro code_padded(column, width=none) -%}
    {%- set width = width or code_width(column) -%}
    case when {{ identifier_text(column) }} is not null then
        {%- if width > 1 %} regexp_full_match({{ identifier_text(column) }}, '\d{1,{{ width - 1 }}}')
        {%- else %} false{% endif %} end
{%- endmacro %}

{#- The code_width the contract of this model's dataset (stg_<department>__<dataset>) gives
    `column` (a unit test of the model compiles it for the model it tests); a compile error when
    it gives none. -#}
{% macro code_width(column) -%}
    {%- set node_id = model.tested_node_unique_id or model.unique_id -%}
    {%- set dataset = node_id.split('.')[-1].split('__')[-1] -%}
    {%- set widths = contract_code_widths().get(dataset, {}) -%}
    {%- if column not in widths -%}
        {{ exceptions.raise_compiler_error(
            "The contract of '" ~ dataset ~ "' gives column '" ~ column ~ "' no code_width: "
            ~ "add it in plugins/ddss/contracts/" ~ dataset ~ ".yml, then run "
            ~ ".venv/bin/python -m ddss.transform.dbt_sources"
        ) }}
    {%- endif -%}
    {{ return(widths[column]) }}
{%- endmacro %}

{#- A ward code: code_text with the contract's width (00070). -#}
{% macro ward_code_text(column) -%}
    {{ code_text(column) }}
{%- endmacro %}

{#- Every code a row may carry for a unit of the province, each with the dates it applies to
    (valid_from <= the row's date < valid_to; null = open): join it with ward_in_force.
    - 'current': the code is in force at the row's date. A pre-2025 unit on a date before
      1 July 2025 is named as today (ward_code, ward_name: the new ward it moved into whole;
      its own code when it was split, since it cannot be named as one new ward), and
      unit_code keeps the unit itself, for coverage of its period.
    - on a date after the reform, a pre-2025 code is mapped to the ward it became
      ('legacy_mapped') or flagged as split ('legacy_split'), with the new wards it went to
      ('00073 Phường Cửa Nam, 00070 Phường Hoàn Kiếm') so the steward can choose;
    - on a date before the reform, a code that only today's list has is 'not_yet_in_force',
      with the pre-2025 units that became it ('00061 Phường Hàng Bạc, …').
    The crosswalk holds no current code (tests/reference/test_wards.py), and a code reused
    by a new ward is 'current' on both sides of the reform, so one row applies per date. -#}
{% macro ward_lookup(province) -%}
    select
        units.unit_code as input_code,
        case when units.successor_mapping = 'whole' then units.successor_codes else units.unit_code end
            as ward_code,
        coalesce(today.unit_name, units.unit_name) as ward_name,
        units.unit_code,
        'current' as ward_code_status,
        null::varchar as ward_candidates,
        units.valid_from,
        units.valid_to,
        {{ ward_list_newest() }} as newest_list_from
    from {{ source('reference', 'ref_ward_units') }} as units
    left join {{ source('reference', 'ref_ward_units') }} as today
        on
            units.successor_mapping = 'whole'
            and units.successor_codes = today.unit_code
            and today.valid_to is null
    where units.province_code = '{{ province }}'
    union all
    select
        legacy.old_code,
        legacy.new_code,
        current_wards.ward_name,
        legacy.new_code,
        case legacy.mapping when 'whole' then 'legacy_mapped' else 'legacy_split' end,
        nullif(legacy.candidate_names, ''),
        {{ ward_list_newest() }},
        null::date,
        {{ ward_list_newest() }}
    from {{ source('reference', 'ref_legacy_wards') }} as legacy
    left join {{ source('reference', 'ref_wards') }} as current_wards on legacy.new_code = current_wards.ward_code
    where legacy.province_code = '{{ province }}'
    union all
    select
        units.unit_code,
        units.unit_code,
        units.unit_name,
        units.unit_code,
        'not_yet_in_force',
        units.predecessor_names,
        null::date,
        units.valid_from,
        {{ ward_list_newest() }}
    from {{ source('reference', 'ref_ward_units') }} as units
    where
        units.province_code = '{{ province }}'
        and units.valid_from is not null
        and not exists (
            select 1 from {{ source('reference', 'ref_ward_units') }} as earlier
            where earlier.unit_code = units.unit_code and earlier.valid_to <= units.valid_from
        )
{%- endmacro %}

{#- The first day of the newest list (1 July 2025 today). -#}
{% macro ward_list_newest() -%}
    (select max(valid_from) from {{ source('reference', 'ref_ward_units') }})
{%- endmacro %}

{#- The date a row's unit code is checked against: its own date (`on`, the dataset's period or
    date; a row without one is checked against the newest list) when the project's var
    ward_codes_at_row_date is true; otherwise the newest list, as if every row were dated today.
    The var is off by default while the demo's feeds (2022 data) carry today's codes: see
    plugins/ddss/reference/wards.py. -#}
{% macro ward_reference_date(on) -%}
    {%- if var('ward_codes_at_row_date', false) -%}
    coalesce(cast({{ on }} as date), {{ ward_list_newest() }})
    {%- else -%}
    {{ ward_list_newest() }}
    {%- endif -%}
{%- endmacro %}

{#- Whether the row `alias` of a dated list (valid_from, valid_to: ward_lookup's, the service catalogue's) applies on `on`. -#}
{% macro ward_in_force(alias, on) -%}
    ({{ alias }}.valid_from is null or {{ on }} >= {{ alias }}.valid_from)
    and ({{ alias }}.valid_to is null or {{ on }} < {{ alias }}.valid_to)
{%- endmacro %}

{#- The first day of a "YYYY-MM" period; null when it is not one. -#}
{% macro period_start(period) -%}
    try_strptime({{ period }} || '-01', '%Y-%m-%d')::date
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

{#- The join of a model's rows to its `wards` CTE (ward_lookup): the sent code, looked up in the
    list in force at the row's date `on` (as ward_reference_date; DuckDB takes no subquery in
    an outer join's condition, so the newest list's date comes from the lookup's row). -#}
{% macro ward_join(sent, on) -%}
    {%- if var('ward_codes_at_row_date', false) -%}
    {%- set checked_on = 'coalesce(cast(' ~ on ~ ' as date), wards.newest_list_from)' -%}
    {%- else -%}
    {%- set checked_on = 'wards.newest_list_from' -%}
    {%- endif -%}
    {{ sent }} = wards.input_code and {{ ward_in_force('wards', checked_on) }}
{%- endmacro %}
