"""The departments' synthetic feeds, one module per department, named as its landing folder
(``data/landing/hanoi_labour/`` is made by ``feeds/hanoi_labour.py``), so whoever looks at
a landing file finds its maker. Shared pieces are named for what they do:

* ``defects``   — kinds of defect (:class:`Spec`), their insertion and the manifest records;
* ``formats``   — the cell formatter and the writers (CSV, spreadsheet, JSON API pages,
  control totals);
* ``synthetic`` — people, tax codes, totals split into parts, days of a month;
* ``arrival``   — when each file was dropped (its modification time), one sent late.

:data:`FEEDS` lists every dataset's maker in the order the feeds are drawn, each with the
seed of its own random stream, so adding a department does not change the others' bytes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ddss.data_contracts import SourceContract
from ddss_demo.feeds import (
    hanoi_dict,
    hanoi_health,
    hanoi_labour,
    hanoi_monre,
    hanoi_police,
    hanoi_tax,
    hanoi_transport,
    tuyen_quang_office,
    tuyen_quang_pasc,
)
from ddss_demo.feeds.defects import Defect, Draw, Feed, Found, Spec, emit
from ddss_demo.feeds.synthetic import tax_code

__all__ = ["FEEDS", "Defect", "Draw", "Feed", "FeedMaker", "Found", "Spec", "emit", "tax_code"]


@dataclass(frozen=True)
class FeedMaker:
    dataset: str  # its department decides whether it is made (the centre's always is)
    build: Callable[[Draw, dict[str, SourceContract]], dict]  # -> the figures it reproduces
    seed: Callable[[int], int]  # its random stream's seed from the run's


FEEDS = [
    # The centre's two datasets share one stream; seeds as first drawn, to keep the bytes.
    FeedMaker("admin_procedure_dossiers", tuyen_quang_pasc.build, lambda seed: seed),
    FeedMaker("community_digital_teams", hanoi_dict.build, lambda seed: seed + 1),
    FeedMaker("taxpayer_e_services", hanoi_tax.build_taxpayers, lambda seed: seed * 100 + 11),
    FeedMaker("etax_mobile_accounts", hanoi_tax.build_etax_mobile, lambda seed: seed * 100 + 12),
    FeedMaker("land_registration_payments", hanoi_monre.build, lambda seed: seed * 100 + 13),
    FeedMaker("vneid_activations", hanoi_police.build, lambda seed: seed * 100 + 14),
    FeedMaker("electronic_health_records", hanoi_health.build, lambda seed: seed * 100 + 15),
    FeedMaker("cashless_social_payments", hanoi_labour.build, lambda seed: seed * 100 + 16),
    FeedMaker("cashless_parking_payments", hanoi_transport.build, lambda seed: seed * 100 + 17),
    FeedMaker("e_documents", tuyen_quang_office.build, lambda seed: seed * 100 + 18),
]
