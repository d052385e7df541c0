"""Group 3 as data: what an attacker (or a careless export) plants in the departments'
files, and where the campaign looks for it afterwards."""

from __future__ import annotations

from ddss.settings import Settings


def plant(cfg: Settings) -> None:
    """Plant the attacks into the landing files before the workspace's first run."""
