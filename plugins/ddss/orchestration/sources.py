"""Stand-ins for departments' HTTP sources on this machine.

In production ``DDSS_API_URL`` points at the departments' APIs. Where it is not set, a
package may offer a local service through the ``ddss.source_services`` entry-point group (the
demo tools serve the feeds ``ddss generate`` wrote). The runtime package never imports such
a package by name: it asks the entry points, as pytest asks for plugins.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from importlib.metadata import entry_points

from ddss.settings import Settings

ENTRY_POINT_GROUP = "ddss.source_services"


@contextmanager
def local_sources(cfg: Settings) -> Iterator[Settings]:
    """``cfg`` with ``api_url`` set to the first local service that offers itself, for as
    long as the block runs; ``cfg`` unchanged when it already has one or none offers."""
    if cfg.api_url:
        yield cfg
        return
    with ExitStack() as stack:
        for entry_point in entry_points(group=ENTRY_POINT_GROUP):
            url = stack.enter_context(entry_point.load()(cfg))
            if url:
                cfg = dataclasses.replace(cfg, api_url=url)
                break
        yield cfg
