{#- Strict typing: a cell becomes a number or a date only when it matches, whole, a shape
    the contract states; otherwise the typed value is null and a problem code says why, so
    the suite quarantines the row with a message that names what is wrong. Nothing is
    rounded, truncated or read as a different value (DuckDB's own casts read "12.5" as 13,
    "0x1F" as 31, "1_000" as 1000 and "1/1/22" as the year 22). -#}

{#- The whole-cell pattern of an integer written in the contract's number_format:
    plain "2920000"; vi (Vietnamese) "2.920.000" or "2920000". -#}
{% macro integer_pattern(number_format) -%}
    {%- if number_format == 'plain' -%}-?\d+
    {%- elif number_format == 'vi' -%}-?(\d{1,3}(\.\d{3})+|\d+)
    {%- else -%}{{ exceptions.raise_compiler_error("number_format '" ~ number_format ~ "' is not plain or vi") }}
    {%- endif -%}
{%- endmacro %}

{#- Thousands separators the contract's number_format does not state (vi states the dot). -#}
{% macro foreign_thousands_pattern(number_format) -%}
    {%- if number_format == 'vi' -%}[-+]?\d{1,3}([,\s\x{00A0}\x{202F}]\d{3})+
    {%- else -%}[-+]?\d{1,3}([.,\s\x{00A0}\x{202F}]\d{3})+
    {%- endif -%}
{%- endmacro %}

{#- An integer cell read exactly by the contract's number_format; null when it is not one
    (or does not fit `sql_type`). -#}
{% macro parse_integer(column, number_format='plain', sql_type='bigint') -%}
    case when regexp_full_match({{ clean_text(column) }}, '{{ integer_pattern(number_format) }}')
        then try_cast(
            {%- if number_format == 'vi' %} replace({{ clean_text(column) }}, '.', '')
            {%- else %} {{ clean_text(column) }}{% endif %} as {{ sql_type }}) end
{%- endmacro %}

{#- Why a filled integer cell (`text`, cleaned) has no typed value (`typed`), or is negative
    where the column cannot be: not_a_number, fraction, thousands (a separator the contract
    does not state, so 2.920 could be 2920 or 2.92), scientific (Excel's 1,2E+06 lost the
    last digits), programmer (0x1F, 1_000), negative. Null when the cell is empty or fine. -#}
{% macro integer_problem(text, typed, number_format='plain', signed=false) -%}
    case
        when {{ text }} is null then null
        when regexp_full_match({{ text }}, '{{ integer_pattern(number_format) }}') then
            case
                when {{ typed }} is null then 'not_a_number'
                {%- if not signed %}
                when {{ typed }} < 0 then 'negative'
                {%- endif %}
            end
        when regexp_full_match({{ text }}, '[-+]?\d+([.,]\d+)?[eE][-+]?\d+') then 'scientific'
        when regexp_full_match({{ text }}, '[-+]?(0[xX][0-9a-fA-F]+|0[bB][01]+|0[oO][0-7]+|\d+(_\d+)+)')
            then 'programmer'
        when regexp_full_match({{ text }}, '{{ foreign_thousands_pattern(number_format) }}') then 'thousands'
        when regexp_full_match({{ text }}, '[-+]?\d+([.,]\d+)*[.,]\d+') then 'fraction'
        else 'not_a_number'
    end
{%- endmacro %}

{#- Whether a filled cell holds a valid value: null when empty, else no problem found. -#}
{% macro valid_unless_problem(text, problem) -%}
    case when {{ text }} is not null then {{ problem }} is null end
{%- endmacro %}

{#- The whole-cell pattern of a strptime format (%d, %m, %Y, %y and / - . : space only);
    %Y is four digits, never fewer: strptime alone reads "1/1/22" as the year 22. -#}
{% macro date_format_pattern(format, year_digits=4) -%}
    {%- set pattern = namespace(text='', directive=false) -%}
    {%- for character in format -%}
        {%- if pattern.directive -%}
            {%- if character in ['d', 'm'] -%}{%- set pattern.text = pattern.text ~ '\\d{1,2}' -%}
            {%- elif character == 'Y' -%}{%- set pattern.text = pattern.text ~ '\\d{' ~ year_digits ~ '}' -%}
            {%- elif character == 'y' -%}{%- set pattern.text = pattern.text ~ '\\d{2}' -%}
            {%- else -%}{{ exceptions.raise_compiler_error("date format '" ~ format ~ "': %" ~ character ~ " is not supported") }}
            {%- endif -%}
            {%- set pattern.directive = false -%}
        {%- elif character == '%' -%}{%- set pattern.directive = true -%}
        {%- elif character == '.' -%}{%- set pattern.text = pattern.text ~ '\\.' -%}
        {%- elif character in ['/', '-', ':', ' '] -%}{%- set pattern.text = pattern.text ~ character -%}
        {%- else -%}{{ exceptions.raise_compiler_error("date format '" ~ format ~ "': '" ~ character ~ "' is not supported") }}
        {%- endif -%}
    {%- endfor -%}
    {{- pattern.text -}}
{%- endmacro %}

{#- A date cell in one of the formats the contract lists (`formats`), else null. A format
    with %y (two-digit year) is read as 20yy/19yy by DuckDB's pivot: list it only if the
    contract means it. -#}
{% macro parse_date_strict(column, formats) -%}
    case
        {%- for format in formats %}
        when regexp_full_match({{ clean_text(column) }}, '{{ date_format_pattern(format) }}')
            then try_strptime({{ clean_text(column) }}, '{{ format }}')::date
        {%- endfor %}
    end
{%- endmacro %}

{#- Why a filled date cell (`text`, cleaned) has no typed value: two_digit_year (1/1/22
    where the contract wants four digits), impossible (30/02/2022), format (any other shape). -#}
{% macro date_problem(text, typed, formats) -%}
    case
        when {{ text }} is null then null
        when {% for format in formats %}regexp_full_match({{ text }}, '{{ date_format_pattern(format) }}'){% if not loop.last %} or {% endif %}{% endfor %}
            then case when {{ typed }} is null then 'impossible' end
        {%- for format in formats if '%Y' in format %}
        when regexp_full_match({{ text }}, '{{ date_format_pattern(format, 2) }}') then 'two_digit_year'
        {%- endfor %}
        else 'format'
    end
{%- endmacro %}

{#- An identifier as people mean it (NFKC's width folding): invisible characters (zero-width
    spaces and joiners, byte-order marks, soft hyphens, controls) and every space that is not
    the plain one (non-breaking, narrow, ideographic…: pasted from web pages and Word, never
    a separator someone meant) removed, full-width letters, digits and signs made ASCII,
    then trimmed, spaces collapsed and NFC. -#}
{% macro identifier_text(column) -%}
    {{ clean_text(
        "replace(replace(replace(translate(regexp_replace(regexp_replace(regexp_replace("
        ~ column ~ ", '\\s', ' ', 'g'), '[\\p{Cf}\\p{Cc}]', '', 'g'), '[^ \\PZ]', '', 'g'), '"
        ~ fullwidth_characters() ~ "', '" ~ ascii_characters() ~ "'), '＇', chr(39)), '＼', chr(92)), '｀', chr(96))"
    ) }}
{%- endmacro %}

{#- U+FF01..U+FF5E and the ASCII characters (U+0021..U+007E) NFKC folds them to; the quote,
    backslash and backquote are folded with chr() instead, which every SQL parser reads. -#}
{% macro fullwidth_characters() -%}
    ！＂＃＄％＆（）＊＋，－．／０１２３４５６７８９：；＜＝＞？＠ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺ［］＾＿ａｂｃｄｅｆｇｈｉｊｋｌｍｎｏｐｑｒｓｔｕｖｗｘｙｚ｛｜｝～
{%- endmacro %}

{% macro ascii_characters() -%}
    !"#$%&()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[]^_abcdefghijklmnopqrstuvwxyz{|}~
{%- endmacro %}

{#- Whether identifier_text changed more than clean_text would have (invisible characters,
    non-breaking spaces, full-width characters): null when the cell is empty. -#}
{% macro identifier_normalised(column) -%}
    case when {{ clean_text(column) }} is not null
        then coalesce({{ clean_text(column) }} <> {{ identifier_text(column) }}, true) end
{%- endmacro %}

{#- The cell as sent with its invisible characters made visible, for the steward's report. -#}
{% macro visible_text(column) -%}
    regexp_replace(regexp_replace(regexp_replace(regexp_replace(regexp_replace(
        {{ clean_text(column) }},
        '\x{00A0}', '[NBSP]', 'g'), '\x{200B}', '[ZWSP]', 'g'), '\x{FEFF}', '[BOM]', 'g'),
        '[\p{Cf}\p{Cc}]', '[?]', 'g'), '[\x{1680}\x{2000}-\x{200A}\x{202F}\x{205F}\x{3000}]', '[SP]', 'g')
{%- endmacro %}
