"""Project 06's four criteria for state data, one definition for the gate, the steward
report and the portal: đúng (correct), đủ (complete), sạch (clean), sống (live)."""

from __future__ import annotations

# id: (Vietnamese, English)
CRITERIA: dict[str, tuple[str, str]] = {
    "dung": ("đúng", "correct"),
    "du": ("đủ", "complete"),
    "sach": ("sạch", "clean"),
    "song": ("sống", "live"),
}


def label(criterion: str) -> str:
    """'Đúng / correct': Vietnamese first, English second."""
    vi, en = CRITERIA[criterion]
    return f"{vi.capitalize()} / {en}"


# For templates: criterion id -> its label.
LABELS: dict[str, str] = {key: label(key) for key in CRITERIA}
