"""Limits the ingest zone reads from the environment (each documented where it is used)."""

from __future__ import annotations

import logging
import os

log = logging.getLogger(__name__)


def env_number(name: str, default: float) -> float:
    """A non-negative number from the environment; ``default`` when unset or not a number."""
    value = os.environ.get(name, "")
    if not value.strip():
        return default
    try:
        return max(float(value), 0.0)
    except ValueError:
        log.warning("%s=%r is not a number; using %s", name, value, default)
        return default
