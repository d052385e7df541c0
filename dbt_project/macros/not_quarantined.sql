{#- Keep only the rows of `relation` that the latest validation did not quarantine. -#}
{% macro not_quarantined(relation, dataset) -%}
    select candidate.*
    from {{ relation }} as candidate
    where not exists (
        select 1
        from {{ source('quality', 'quarantine') }} as quarantined
        where quarantined.dataset = '{{ dataset }}'
            and quarantined.source_file = candidate._source_file
            and quarantined.source_row = candidate._source_row
            -- Warnings (a late record, a pre-2025 code mapped to its new ward) keep the row.
            and quarantined.severity = 'row'
    )
{%- endmacro %}
