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

    {{ indicator(
        id='outgoing_documents',
        label_vi='Văn bản đi điện tử',
        label_en='Outgoing e-documents',
        value='outgoing',
        unit='văn bản',
        from_cte='totals',
    ) }}
    union all
    {{ indicator(
        id='digitally_signed_percent',
        label_vi='Tỷ lệ văn bản đi được ký số',
        label_en='Outgoing documents digitally signed',
        value=share('outgoing_signed', 'outgoing'),
        unit='%',
        from_cte='totals',
    ) }}
    union all
    {{ indicator(
        id='meeting_documents',
        label_vi='Tài liệu họp không giấy',
        label_en='Paperless meeting documents',
        value='meeting_documents',
        unit='tài liệu',
        from_cte='totals',
    ) }}
    union all
    {{ indicator(
        id='agenda_items',
        label_vi='Nội dung họp',
        label_en='Agenda items',
        value='agenda_items',
        unit='nội dung',
        from_cte='totals',
    ) }}
    union all
    {{ indicator(
        id='sessions',
        label_vi='Phiên họp',
        label_en='Meeting sessions',
        value='sessions',
        unit='phiên',
        from_cte='totals',
    ) }}

)

select * from final
