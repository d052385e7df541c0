{#- Statistical disclosure control: a published count of people under `threshold` (5) could
    single someone out, so it must have been suppressed (null). Returns the offending rows. -#}
{% test small_cells_suppressed(model, column_name, threshold=5) %}

select *
from {{ model }}
where {{ column_name }} < {{ threshold }}

{% endtest %}
