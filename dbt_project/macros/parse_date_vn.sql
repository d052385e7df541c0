{#- A dd/mm/yyyy date as departments type it; null when empty or impossible (30/02). -#}
{% macro parse_date_vn(column) -%}
    try_strptime(nullif(trim({{ column }}), ''), '%d/%m/%Y')::date
{%- endmacro %}

{#- Trimmed, NFC-normalised text; empty becomes null. -#}
{% macro clean_text(column) -%}
    nullif(trim(regexp_replace(nfc_normalize({{ column }}), '\s+', ' ', 'g')), '')
{%- endmacro %}
