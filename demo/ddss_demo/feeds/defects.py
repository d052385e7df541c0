"""Defects injected into clean rows, and the truth manifest's record of each.

A dataset's module builds the clean rows that reproduce its seed figures, declares its kinds
of defect as :class:`Spec` (and :class:`Found` for clean rows that are defects as they
stand, such as a record sent a month late), and calls :func:`emit`: the defects go into
each file's rows, the file is written in the department's format, and every defect is
listed with its file, spreadsheet row number (header = 1), column, kind and criterion.
"""

from __future__ import annotations

import bisect
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ddss.data_contracts import SourceContract
from ddss_demo.feeds.formats import CsvWriter, JsonApiWriter, Writer, write_control_totals
from ddss_demo.feeds.synthetic import near


@dataclass(frozen=True)
class Defect:
    file: str  # relative to the output folder
    source_row: int  # spreadsheet row number, header = 1
    column: str | None
    kind: str
    criterion: str
    key: str | None


Marker = tuple[str, str | None, str]  # kind, column, criterion
Line = tuple[dict, Marker | None]
Make = Callable[[dict, random.Random, int], dict]  # (template, rng, serial) -> defective row
NewKey = Callable[[dict, random.Random, int], str]  # (template, rng, serial) -> its new key


@dataclass
class Spec:
    """One kind of defect: what it breaks and how it is made from a clean template row."""

    kind: str
    column: str | None
    criterion: str
    make: Make
    in_place: bool = False  # rewrite the template itself (it stays a counted clean row)
    where: Callable[[dict], bool] | None = None  # which clean rows may serve as template

    @property
    def marker(self) -> Marker:
        return (self.kind, self.column, self.criterion)


@dataclass
class Found:
    """Rows of the last file that are a defect as they were built (nothing is made)."""

    kind: str
    column: str | None
    criterion: str
    holds: Callable[[dict], bool]


@dataclass
class Feed:
    """What the generator wrote: landing files, control files, API pages, defects."""

    files: list[Path] = field(default_factory=list)
    controls: list[Path] = field(default_factory=list)
    defects: list[Defect] = field(default_factory=list)
    api: JsonApiWriter = field(default_factory=JsonApiWriter)


@dataclass
class Draw:
    """One dataset's generation: where, its own random stream, how large, what to record."""

    out: Path
    rng: random.Random
    scale: float
    feed: Feed

    @property
    def per_kind(self) -> int:
        """How many defects of each kind a file carries."""
        return max(1, round(self.scale))


def copied(template: dict, rng: random.Random, serial: int) -> dict:
    """A duplicate: the template as it is."""
    return template


def rewritten(key: str, new_key: NewKey, column: str, value: object) -> Make:
    """The template under a new ``key`` (so it is not also a duplicate), ``column`` = ``value``."""
    return lambda r, rng, s: {**r, key: new_key(r, rng, s), column: value}


def mistyped(column: str) -> Make:
    """A near duplicate: the template with its ``column`` as a person would mistype it."""
    return lambda r, rng, s: {**r, column: near(r[column], s)}


def pre_2025_ward_code(old_code: str, current_code: str) -> Spec:
    """A clean row of ``current_code`` sent with the pre-2025 code that became it: the
    crosswalk maps it (the row still counts), the steward must update it (sống)."""
    return Spec(
        "pre_2025_ward_code_mapped",
        "ward_code",
        "song",
        lambda r, rng, s: {**r, "ward_code": old_code},
        in_place=True,
        where=lambda r: r["ward_code"] == current_code,
    )


def emit(
    draw: Draw,
    contract: SourceContract,
    files: dict[str, list[dict]],
    specs: Sequence[Spec],
    key: str,
    *,
    writer: Writer | None = None,
    found: Sequence[Found] = (),
    serial_per_file: bool = True,
) -> None:
    """Insert the defects into each file's rows, write the files (or API pages) and record
    the defects. ``key``: the column that names a row in the manifest; serial numbers (which
    the specs may put in new keys) restart with each file unless ``serial_per_file`` is off."""
    writer = writer or _default_writer(contract, draw.feed)
    serial = 0
    for index, (name, rows) in enumerate(files.items()):
        last = index == len(files) - 1
        if serial_per_file:
            serial = 0
        lines, serial = place_defects(rows, specs, draw.rng, draw.per_kind, serial)
        path = draw.out / contract.department.landing_folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        first = writer.write(path, contract, [row for row, _ in lines])
        if contract.source.control_suffix:
            draw.feed.controls.append(write_control_totals(path, contract, (r for r, _ in lines)))
        if writer.lands:
            draw.feed.files.append(path)
        relative = f"{contract.department.landing_folder}/{name}"
        marked = [(first + i, row, m) for i, (row, m) in enumerate(lines) if m]
        if last:
            marked += [
                (first + i, row, (f.kind, f.column, f.criterion))
                for f in found
                for i, (row, _) in enumerate(lines)
                if f.holds(row)
            ]
        draw.feed.defects.extend(
            Defect(relative, number, m[1], m[0], m[2], _key(row, key)) for number, row, m in marked
        )


def _default_writer(contract: SourceContract, feed: Feed) -> Writer:
    if contract.source.format == "json":
        return feed.api
    if contract.source.format == "csv":
        return CsvWriter()
    raise ValueError(f"{contract.id}: a {contract.source.format} feed needs its writer (layout)")


def _key(row: dict, key: str) -> str | None:
    value = row.get(key)
    return None if value is None else str(value)


def place_defects(
    rows: list[dict], specs: Sequence[Spec], rng: random.Random, per_kind: int, serial: int
) -> tuple[list[Line], int]:
    """The file's lines: its clean rows with ``per_kind`` defects of each spec, each made
    from a clean template (chosen among those ``where`` allows, never one already
    rewritten) and inserted at random after it (a duplicate always follows its original),
    or written over it. A spec with fewer templates than ``per_kind`` gets one defect per
    template. Returns the lines and the last serial number used.

    Positions are kept as a sorted list of where the inserted lines sit, so a file of n
    rows costs O(n) per spec rather than per defect."""
    lines: list[Line] = [(row, None) for row in rows]
    rewritten = [False] * len(rows)
    inserted: list[int] = []  # positions of inserted lines in ``lines``, ascending
    for spec in specs:
        templates = [
            i
            for i, row in enumerate(rows)
            if not rewritten[i] and (spec.where is None or spec.where(row))
        ]
        for _ in range(per_kind):
            if not templates:
                break
            serial += 1
            clean = rng.choice(templates)
            at = _position(clean, inserted)
            row = spec.make(dict(rows[clean]), rng, serial)
            if spec.in_place:
                lines[at] = (row, spec.marker)
                rewritten[clean] = True
                templates.remove(clean)
            else:
                where = rng.randint(at + 1, len(lines))
                lines.insert(where, (row, spec.marker))
                moved = bisect.bisect_left(inserted, where)
                inserted[moved:] = [p + 1 for p in inserted[moved:]]
                inserted.insert(moved, where)
    return lines, serial


def _position(clean: int, inserted: list[int]) -> int:
    """Where the ``clean``-th clean row sits now, after the lines inserted before it."""
    at = clean
    for position in inserted:
        if position > at:
            break
        at += 1
    return at
