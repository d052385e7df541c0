{#- Vietnamese validators in SQL: the same values as the reference libraries that define them
    (ddss.transform.validators: python-stdnum for the tax code, phonenumbers for phones), on
    every row, without calling Python row by row. tests/transform/test_sql_validators.py runs
    each macro and its Python twin over generated edge cases and the demo feeds' values and
    asserts they are equal; it also holds the phone patterns below equal to phonenumbers'
    metadata for VN, so a library upgrade that changes a rule fails there first.
    With the var python_validators (dbt ... --vars '{python_validators: true}') each macro
    calls its Python twin instead, row by row: the reference bench/dbt_bench.py times them
    against. -#}


{#- Whether a tax code (mã số thuế) is valid, as stdnum.vn.mst.is_valid: separators (spaces,
    dashes, dots and their Unicode look-alikes) removed and look-alike digits made ASCII, as
    stdnum.util.clean does, then 10 or 13 digits, a serial that is not 0000000, a branch that
    is not 000, and the check digit 10 - (31, 29, 23, 19, 17, 13, 7, 5, 3) . digits mod 11.
    Null when the cell is null. -#}
{% macro tax_code_valid(column) -%}
    {%- if var('python_validators', false) -%}{{ return('vn_tax_code_valid(' ~ column ~ ')') }}{%- endif -%}
    case when {{ column }} is not null then list_transform(
        [regexp_replace(regexp_replace(
            translate({{ column }}, '{{ stdnum_digit_characters() }}', '{{ stdnum_digit_values() }}'),
            '[{{ stdnum_separators() }}]', '', 'g'),
            '^[{{ python_other_whitespace() }}]+|[{{ python_other_whitespace() }}]+$', '', 'g')],
        lambda code: regexp_full_match(code, '\d{10}|\d{13}')
            and substr(code, 3, 7) <> '0000000'
            and (length(code) = 10 or substr(code, 11, 3) <> '000')
            and 10 - (
                {%- for weight in [31, 29, 23, 19, 17, 13, 7, 5, 3] %}
                {{ weight }} * (ascii(substr(code, {{ loop.index }}, 1)) - 48){% if not loop.last %} +{% endif %}
                {%- endfor %}
            ) % 11 = ascii(substr(code, 10, 1)) - 48
    )[1] end
{%- endmacro %}

{#- stdnum.util's look-alike digits (full-width, mathematical) and the ASCII digit of each. -#}
{% macro stdnum_digit_characters() -%}
    ０𝟎𝟘𝟢𝟬𝟶１𝟏𝟙𝟣𝟭𝟷２𝟐𝟚𝟤𝟮𝟸３𝟑𝟛𝟥𝟯𝟹４𝟒𝟜𝟦𝟰𝟺５𝟓𝟝𝟧𝟱𝟻６𝟔𝟞𝟨𝟲𝟼７𝟕𝟟𝟩𝟳𝟽８𝟖𝟠𝟪𝟴𝟾９𝟗𝟡𝟫𝟵𝟿
{%- endmacro %}

{% macro stdnum_digit_values() -%}
    000000111111222222333333444444555555666666777777888888999999
{%- endmacro %}

{#- Every character stdnum.util.clean turns into a space, a dash or a dot, which mst.compact
    then removes. -#}
{% macro stdnum_separators() -%}
    \x{0020}\x{002D}\x{002E}\x{00A0}\x{00AF}\x{00B7}\x{02D7}\x{02D9}\x{0387}\x{058A}\x{05BE}\x{06D4}\x{0701}\x{0702}\x{0830}\x{0F0B}\x{0F0C}\x{1680}\x{16EB}\x{180A}\x{2000}\x{2001}\x{2002}\x{2003}\x{2004}\x{2005}\x{2006}\x{2007}\x{2008}\x{2009}\x{200A}\x{2010}\x{2011}\x{2012}\x{2013}\x{2014}\x{2015}\x{2022}\x{2024}\x{2027}\x{202F}\x{203E}\x{2043}\x{205F}\x{207B}\x{208B}\x{2212}\x{2219}\x{22C5}\x{23AF}\x{23BA}\x{23BB}\x{23BC}\x{23BD}\x{23E4}\x{2E31}\x{2E33}\x{3000}\x{3002}\x{30FB}\x{FBB2}\x{FBB3}\x{FE52}\x{FE63}\x{FF0D}\x{FF0E}\x{FF65}\x{FFE3}\x{10101}\x{1091F}\x{10A50}
{%- endmacro %}

{#- The characters Python's str.strip() removes that are not separators already removed. -#}
{% macro python_other_whitespace() -%}
    \x{0009}\x{000A}\x{000B}\x{000C}\x{000D}\x{001C}\x{001D}\x{001E}\x{001F}\x{0085}\x{2028}\x{2029}
{%- endmacro %}


{#- A Vietnamese phone number in E.164 (+84…), or null when it is not a valid one: what
    phonenumbers.parse(value, 'VN') then is_valid_number and format E164 give (the region's
    patterns below are its metadata). A cell made of digits, spaces, ( ) . - / and one leading
    + (what departments type) is read here in SQL; a cell without any digit or plus sign is
    not a number; anything else (letters, extensions, other scripts' digits) is rare and is
    left to the library itself (vn_phone_e164), so no row can differ. -#}
{% macro phone_e164(column) -%}
    {%- if var('python_validators', false) -%}{{ return('vn_phone_e164(' ~ column ~ ')') }}{%- endif -%}
    case
        when {{ column }} is null then null
        when length({{ column }}) <= 250 and regexp_full_match({{ column }}, '[ ().\-/]*\+?[0-9 ().\-/]*')
            then {{ phone_e164_typed(column) }}
        when regexp_full_match({{ column }}, '[^+＋]*')
            and regexp_full_match({{ column }}, '[\p{L}\p{M}\p{P}\p{S}\p{Z}\p{Cc}\p{Cf}]*')
            then null
        else vn_phone_e164({{ column }})
    end
{%- endmacro %}

{#- phone_e164 of a cell made of ASCII digits, separators and at most one leading plus:
    phonenumbers' steps (international prefix + or 00, country code 84, national prefix 0,
    possible lengths) on its digits. -#}
{% macro phone_e164_typed(column) -%}
    list_transform(
        [regexp_replace({{ column }}, '[^0-9]', '', 'g')],
        lambda digits: list_transform(
            [case
                when length(digits) < 3 then null
                when regexp_full_match({{ column }}, '[ ().\-/]*\+.*') then
                    case
                        when digits like '84%' then substr(digits, 3)
                        when digits like '0084%' and length(digits) > 4 then substr(digits, 5)
                    end
                when digits like '00%' and (length(digits) = 2 or substr(digits, 3, 1) <> '0') then
                    case when digits like '0084%' and length(digits) > 4 then substr(digits, 5) end
                when digits like '84%'
                    and (
                        (not regexp_full_match(digits, '{{ phone_vn_general_pattern() }}')
                            and regexp_full_match({{ phone_without_trunk_zero('substr(digits, 3)') }}, '{{ phone_vn_general_pattern() }}'))
                        or length(digits) > 10
                    )
                    then {{ phone_without_trunk_zero('substr(digits, 3)') }}
                else digits
            end],
            lambda national: list_transform(
                [case when national like '0%' and length(national) >= 8 then substr(national, 2) else national end],
                lambda significant: case
                    when regexp_full_match(significant, '{{ phone_vn_general_pattern() }}')
                        and regexp_full_match(significant, '{{ phone_vn_type_patterns() | join("|") }}')
                        then '+84' || significant
                end
            )[1]
        )[1]
    )[1]
{%- endmacro %}

{#- The national prefix 0 removed (no valid Vietnamese number starts with 0). -#}
{% macro phone_without_trunk_zero(digits) -%}
    case when {{ digits }} like '0%' then substr({{ digits }}, 2) else {{ digits }} end
{%- endmacro %}

{#- phonenumbers' metadata for VN: the general pattern and every type's pattern (premium rate,
    toll free, VoIP, UAN, fixed line, mobile), each as written there. -#}
{% macro phone_vn_general_pattern() -%}
    [12]\d{9}|[135-9]\d{8}|[16]\d{6,7}|7\d{6}
{%- endmacro %}

{% macro phone_vn_type_patterns() -%}
    {{- return([
        '1900\\d{4,6}',
        '1800\\d{4,6}|12(?:0[13]|28)\\d{4}',
        '672\\d{6}',
        '[17]99\\d{4}|69\\d{5,6}',
        '2(?:0[3-9]|1[0-689]|2[0-25-9]|[38][2-9]|4[2-8]|5[124-9]|6[0-39]|7[0-7]|9[0-4679])\\d{7}',
        '121[0-3]\\d{5}|(?:1[46]0|(?:3\\d|7[06-9])\\d|5(?:[1689]\\d|2[238]|59)|8(?:[1-8]\\d|9[6-9])|9(?:[0-8]\\d|9[013-9]))\\d{6}',
    ]) -}}
{%- endmacro %}


{#- What is wrong with a citizen ID (CCCD, 12 digits PPP G YY RRRRRR) given the row's birth
    date and sex (female: true, false or null), as ddss.transform.validators.
    citizen_id_problem: null when well formed and consistent, else 'format', 'province'
    (PPP not one of the 63 birth-registration provinces), 'century_sex' (G against the birth
    century and sex) or 'birth_year' (YY). An ID of twelve digits some of which are not
    ASCII is rare and left to the Python function itself (vn_citizen_id_problem). -#}
{% macro citizen_id_problem(column, birth_date, female) -%}
    {%- if var('python_validators', false) -%}
        {{ return('vn_citizen_id_problem(' ~ column ~ ', ' ~ birth_date ~ ', ' ~ female ~ ')') }}
    {%- endif -%}
    case
        when {{ column }} is null then null
        when regexp_full_match({{ column }}, '[0-9]{12}') then
            case
                when substr({{ column }}, 1, 3) not in ({{ "'" ~ citizen_id_provinces() | join("', '") ~ "'" }}) then 'province'
                when {{ birth_date }} is null then null
                when year({{ birth_date }}) // 100 not in (18, 19, 20, 21, 22) then 'century_sex'
                when {{ female }} is null
                    and (ascii(substr({{ column }}, 4, 1)) - 48) // 2 <> {{ citizen_id_century_digit(birth_date) }} // 2
                    then 'century_sex'
                when {{ female }} is not null
                    and ascii(substr({{ column }}, 4, 1)) - 48
                    <> {{ citizen_id_century_digit(birth_date) }} + case when {{ female }} then 1 else 0 end
                    then 'century_sex'
                when cast(substr({{ column }}, 5, 2) as integer) <> year({{ birth_date }}) % 100 then 'birth_year'
            end
        when length({{ column }}) <> 12 or regexp_matches({{ column }}, '[^\p{N}]') then 'format'
        else vn_citizen_id_problem({{ column }}, {{ birth_date }}, {{ female }})
    end
{%- endmacro %}

{#- The G digit of a male born in the century of `birth_date` (1900: 0, 2000: 2, 2100: 4,
    2200: 6, 1800: 8); a woman's is one more. -#}
{% macro citizen_id_century_digit(birth_date) -%}
    case year({{ birth_date }}) // 100 when 19 then 0 when 20 then 2 when 21 then 4 when 22 then 6 when 18 then 8 end
{%- endmacro %}

{#- Birth-registration province codes of the citizen ID (the 63 provinces before 2025). -#}
{% macro citizen_id_provinces() -%}
    {{- return((
        "001 002 004 006 008 010 011 012 014 015 017 019 020 022 024 025 026 027 030 031 033 034 "
        ~ "035 036 037 038 040 042 044 045 046 048 049 051 052 054 056 058 060 062 064 066 067 068 "
        ~ "070 072 074 075 077 079 080 082 083 084 086 087 089 091 092 093 094 095 096").split()) -}}
{%- endmacro %}
