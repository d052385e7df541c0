"""Search text folded the way people type Vietnamese without a Vietnamese keyboard.

"ha noi", "HA NOI" and "Hà Nội" are the same search: case and tone marks are dropped, and
đ/Đ — a letter of its own, not d with a mark, so Unicode does not decompose it — becomes d.
The same fold runs in Python (the query) and in DuckDB (the rows, once per dataset when it
is loaded); ``tests/api/test_text.py`` checks that both agree on every published value.
"""

from __future__ import annotations

import re
import unicodedata

# Between the folded columns of a row, so that a phrase never matches across two columns.
SEARCH_SEPARATOR = "\x1f"
_SPACES = re.compile(" +")


def fold(text: str) -> str:
    """Lower case, without tone or vowel marks, đ as d; white space, control and invisible
    characters (Unicode Z and C) as one space."""
    decomposed = unicodedata.normalize("NFD", text.lower().replace("đ", "d"))
    bare = "".join(
        " " if unicodedata.category(c)[0] in "ZC" else c
        for c in decomposed
        if not unicodedata.combining(c)
    )
    return _SPACES.sub(" ", unicodedata.normalize("NFC", bare)).strip()


def fold_sql(expression: str) -> str:
    """The same fold as a DuckDB expression over ``expression`` (a quoted column name)."""
    return (
        "trim(regexp_replace(strip_accents(replace(lower("
        + expression
        + r"), 'đ', 'd')), '[\p{Z}\p{C}]+', ' ', 'g'))"
    )
