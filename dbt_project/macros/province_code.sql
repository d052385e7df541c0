{#- A department's province code (two digits), from the var set in dbt_project.yml. -#}
{% macro province_code(department) -%}
    {%- set codes = var('province_codes') -%}
    {%- if department not in codes -%}
        {{ exceptions.raise_compiler_error(
            "province_codes has no '" ~ department ~ "': add it to dbt_project.yml's vars as departments.yml declares it"
        ) }}
    {%- endif -%}
    {{ codes[department] }}
{%- endmacro %}
