-- Seed 004, 2021: 11,952 outgoing e-documents, 99% digitally signed; 1,700+ meeting
-- documents, 245 agenda items, 23 sessions.
with

documents as (

    select * from {{ ref('fct_e_documents') }}

),

totals as (

    select
        count(*) filter (where category = 'Văn bản đi') as outgoing,
        count(*) filter (where category = 'Văn bản đi' and signing = 'Ký số') as outgoing_signed,
        count(*) filter (where category = 'Tài liệu họp') as meeting_documents,
        count(distinct agenda_item) filter (where category = 'Tài liệu họp') as agenda_items,
        count(distinct session) filter (where category = 'Tài liệu họp') as sessions

    from documents

),

final as (

    {{ indicator('outgoing_documents', 'Văn bản đi điện tử', 'Outgoing e-documents', 'outgoing', 'văn bản', from_cte='totals') }}
    union all
    {{ indicator('digitally_signed_percent', 'Tỷ lệ văn bản đi được ký số', 'Outgoing documents digitally signed', share('outgoing_signed', 'outgoing'), '%', from_cte='totals') }}
    union all
    {{ indicator('meeting_documents', 'Tài liệu họp không giấy', 'Paperless meeting documents', 'meeting_documents', 'tài liệu', from_cte='totals') }}
    union all
    {{ indicator('agenda_items', 'Nội dung họp', 'Agenda items', 'agenda_items', 'nội dung', from_cte='totals') }}
    union all
    {{ indicator('sessions', 'Phiên họp', 'Meeting sessions', 'sessions', 'phiên', from_cte='totals') }}

)

select * from final
