{#- A warning, never a failure: the rows whose code arrived shorter than its width (Excel
    ate the leading zeros) and was padded by code_text; dbt reports how many, and
    ddss.transform.dbt_runner logs that count for the data engineer in both languages. The
    row is kept: the padded code is the one the department meant. -#}
{% test no_code_padded(model, column_name) %}
    {{ config(severity='warn') }}
    select {{ column_name }}
    from {{ model }}
    where {{ column_name }}
{% endtest %}
