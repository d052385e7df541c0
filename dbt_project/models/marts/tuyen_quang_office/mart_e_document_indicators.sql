-- Seed 004, 2021: 11,952 outgoing e-documents, 99% digitally signed; 1,700+ meeting
-- documents, 245 agenda items, 23 sessions.
with

documents as (select * from {{ ref('fct_e_documents') }}),

outgoing as (select * from documents where category = 'Văn bản đi'),

meeting as (select * from documents where category = 'Tài liệu họp')

{{ indicator('outgoing_documents', 'Văn bản đi điện tử', 'Outgoing e-documents', '(select count(*) from outgoing)', 'văn bản') }}
union all
{{ indicator('digitally_signed_percent', 'Tỷ lệ văn bản đi được ký số', 'Outgoing documents digitally signed', share("(select count(*) from outgoing where signing = 'Ký số')", '(select count(*) from outgoing)'), '%') }}
union all
{{ indicator('meeting_documents', 'Tài liệu họp không giấy', 'Paperless meeting documents', '(select count(*) from meeting)', 'tài liệu') }}
union all
{{ indicator('agenda_items', 'Nội dung họp', 'Agenda items', '(select count(distinct agenda_item) from meeting)', 'nội dung') }}
union all
{{ indicator('sessions', 'Phiên họp', 'Meeting sessions', '(select count(distinct session) from meeting)', 'phiên') }}
