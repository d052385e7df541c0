{#- Generated from plugins/ddss/contracts by ddss.transform.dbt_sources: do not edit.
    After changing a contract: .venv/bin/python -m ddss.transform.dbt_sources
    Dataset -> code column -> width (code_width in the contract). -#}
{% macro contract_code_widths() -%}
    {{- return({
        'admin_procedure_dossiers': {'commune_code': 5},
        'cashless_parking_payments': {'ward_code': 5},
        'cashless_social_payments': {'ward_code': 5},
        'community_digital_teams': {'ward_code': 5},
        'electronic_health_records': {'ward_code': 5},
        'etax_mobile_accounts': {'ward_code': 5},
        'land_registration_payments': {'ward_code': 5},
        'taxpayer_e_services': {'ward_code': 5},
        'vneid_activations': {'ward_code': 5},
    }) -}}
{%- endmacro %}
