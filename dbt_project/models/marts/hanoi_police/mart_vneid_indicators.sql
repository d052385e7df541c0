-- City-wide totals of validated activations (large enough never to identify anyone).
with validated as (

    {{ not_quarantined(ref('stg_hanoi_police__vneid_activations'), 'vneid_activations') }}

)

{{ indicator('activations_total', 'Số tài khoản định danh điện tử được kích hoạt', 'E-identification accounts activated', '(select count(*) from validated)', 'tài khoản') }}
union all
{{ indicator('level_2_percent', 'Tỷ lệ tài khoản mức 2', 'Share of level-2 accounts', share("(select count(*) from validated where account_level = '2')", '(select count(*) from validated)'), '%') }}
union all
{{ indicator('wards_with_activations', 'Số phường/xã có công dân kích hoạt', 'Wards with activations', '(select count(distinct ward_code) from validated)', 'phường/xã') }}
