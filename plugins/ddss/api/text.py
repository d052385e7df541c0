"""Search text folded the way people type Vietnamese without a Vietnamese keyboard.

"ha noi", "HA NOI" and "Hà Nội" are the same search: case and tone marks are dropped, and
đ/Đ — a letter of its own, not d with a mark, so Unicode does not decompose it — becomes d.
The same fold runs in Python (the query) and in DuckDB (the rows, once per dataset when it
is loaded); ``tests/api/test_text.py`` checks that both agree on every published value.
"""

from __future__ import annotations

import re
import unicodedata

# Between the folded columns of a row, so that a phrase never matches across two columns: a
# visible symbol (␟), not white space, which the fold of any text (the query's too) turns
# into a space, so no query can contain it.
SEARCH_SEPARATOR = "\u241f"
_SPACES = re.compile(" +")
_INVISIBLE = "[\\p{Z}\\p{C}]+"  # white space, control and format characters (RE2 syntax)


def fold(text: str) -> str:
    """Lower case, without tone or vowel marks, đ as d; white space, control and invisible
    characters (Unicode Z and C) as one space."""
    decomposed = unicodedata.normalize(
        "NFD", text.lower().replace("đ", "d").replace(SEARCH_SEPARATOR, " ")
    )
    bare = "".join(
        " " if unicodedata.category(c)[0] in "ZC" else c
        for c in decomposed
        if not unicodedata.combining(c)
    )
    return _SPACES.sub(" ", unicodedata.normalize("NFC", bare)).strip()


def _bare_sql(expression: str) -> str:
    return (
        f"replace(strip_accents(replace(lower({expression}), 'đ', 'd')), '{SEARCH_SEPARATOR}', ' ')"
    )


def fold_sql(expression: str) -> str:
    """``fold`` as a DuckDB expression over ``expression`` (a quoted column name)."""
    return f"trim(regexp_replace({_bare_sql(expression)}, '{_INVISIBLE}', ' ', 'g'))"


def search_sql(expressions: list[str]) -> str:
    """A row's searchable text: each column folded, joined by SEARCH_SEPARATOR (spaces at
    the ends of a column are kept; they cannot change what a folded query finds). One
    regular expression per row rather than per column: the fold's dearest step."""
    if not expressions:
        return "''"
    joined = f"concat_ws('{SEARCH_SEPARATOR}', {', '.join(_bare_sql(e) for e in expressions)})"
    return f"regexp_replace({joined}, '{_INVISIBLE}', ' ', 'g')"
