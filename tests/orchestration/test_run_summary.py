"""What a person reads after `ddss run`: the publication line says when nothing new was
published (issue 17: a publication equal to the current version makes no version)."""

from __future__ import annotations

from pathlib import Path

from ddss.orchestration.pipeline import RunSummary
from ddss.publish.publisher import Publication


def _summary(publication: Publication) -> list[str]:
    summary = RunSummary("run-2", as_of="2022-08-11")
    summary.publish = {"version": publication.version, "summary": publication.summary}
    return summary.lines()


def test_an_unchanged_publication_says_the_current_version_stays():
    same = Publication(version="20220811T000000Z", path=Path("v"), datasets={}, unchanged=True)
    (line,) = [x for x in _summary(same) if "publish" in x]
    assert "không có gì mới" in line and "nothing new" in line and "20220811T000000Z" in line


def test_a_new_publication_counts_the_datasets_whose_files_were_kept():
    new = Publication(
        version="20220812T000000Z",
        path=Path("v"),
        datasets={"a": {}, "b": {}},
        reused=["a"],
    )
    (line,) = [x for x in _summary(new) if "publish" in x]
    assert "2 dataset(s)" in line and "1 unchanged" in line and "nothing new" not in line


def test_the_dbt_line_says_whether_everything_or_which_datasets_were_built():
    full = RunSummary("run-1", dbt={"full": "--full"})
    assert "  dbt: dựng lại toàn bộ / full build (--full)" in full.lines()
    delta = RunSummary(
        "run-2",
        dbt={
            "full": None,
            "staging": {"datasets": ["electronic_health_records"], "nodes": []},
            "marts": {"datasets": ["electronic_health_records", "e_documents"], "nodes": []},
        },
    )
    (line,) = [x for x in delta.lines() if x.startswith("  dbt: ")]
    assert "delta build" in line and "staging of 1 dataset(s) (electronic_health_records)" in line
    assert "marts of 2 dataset(s) (electronic_health_records, e_documents)" in line
    nothing = RunSummary("run-3", dbt={"full": None, "staging": {"datasets": []}})
    (line,) = [x for x in nothing.lines() if x.startswith("  dbt: ")]
    assert "staging of 0 dataset(s), marts of 0 dataset(s)" in line
