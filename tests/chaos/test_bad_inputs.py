"""Group 1: bad inputs. ``ddss check`` and the pipeline's extract end every one of them
with a clear message naming file, row, column and value (or read it exactly, with a note
when there is something to say), never a traceback or a hang, and nothing already loaded
is lost. The cases are data: ``chaos.inputs.CASES``; the misbehaving APIs are below."""

from __future__ import annotations

import dataclasses
import json
import shutil
import time
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest

from chaos.inputs import (
    CASES,
    DOSSIERS,
    ETAX,
    HEALTH,
    PARKING,
    SOCIAL,
    Case,
    Flagged,
    Read,
    Refused,
    Rejected,
    Template,
    csv_text,
    template,
    write_bytes,
    write_xlsx,
    xlsx_rows,
)
from chaos.tally import TALLY
from chaos.workspace import SCALE, SEED
from conftest import copy_workspace
from ddss.data_contracts import source_contract
from ddss.errors import FileRejected, Problem
from ddss.quality.check import CheckRefused, CheckResult, check_file
from ddss.settings import Settings
from http_servers import RECORDS, misbehaving_api

pytestmark = pytest.mark.slow

SAMPLES = {
    DOSSIERS: "tuyen_quang_pasc/ho_so_2022-03.csv",
    PARKING: "hanoi_transport/trong_giu_xe_2022-03.csv",
    HEALTH: "hanoi_health/ho_so_suc_khoe_2022-03.csv",
    SOCIAL: "hanoi_labour/chi_tra_khong_tien_mat_2022-03.xlsx",
}
ETAX_SAMPLE = "hanoi_tax/etax_mobile_2022-07.json"  # fetched by the workspace's run


def _ids(cases: list[Case]) -> list[str]:
    return [f"{c.id}: {c.invariant}" for c in cases]


def _param(case: Case):
    marks = [pytest.mark.xfail(reason=case.known_defect, strict=True)] if case.known_defect else []
    return pytest.param(case, id=f"{case.id}: {case.invariant}", marks=marks)


@pytest.fixture(scope="module")
def templates(chaos_workspace, tmp_path_factory) -> dict[str, Template]:
    """Clean rows of each dataset: the demo feeds generated again (without the planted
    attacks), rows with an injected defect left out."""
    from ddss_demo.generate import generate

    feeds = tmp_path_factory.mktemp("clean-feeds")
    generate(feeds, seed=SEED, scale=SCALE)
    truth = json.loads((feeds / "truth-manifest.json").read_text("utf-8"))
    result = {}
    for dataset, name in SAMPLES.items():
        defects = {d["source_row"] for d in truth["defects"] if d["file"] == name}
        result[dataset] = template(source_contract(dataset, chaos_workspace), feeds / name, defects)
    etax = chaos_workspace.landing_dir / ETAX_SAMPLE
    result[ETAX] = template(source_contract(ETAX, chaos_workspace), etax, set())
    return result


@pytest.fixture(scope="module")
def inputs(templates, tmp_path_factory) -> dict[str, Path]:
    """Every case's input file (the ``Flagged`` ones are in ``flagged``)."""
    made = {}
    for case in CASES:
        if case.make is None:
            continue
        folder = tmp_path_factory.mktemp(case.id)
        t = templates[case.dataset]
        path = case.make(t, folder)
        # One name per case, as the department's pattern wants it (suffix kept: .xlsm, .xls)
        unique = Path(t.name(case.id)).with_suffix(path.suffix).name
        made[case.id] = path.rename(path.with_name(unique))
    return made


def _check(path: Path, dataset: str, cfg: Settings) -> tuple[int, CheckResult | str]:
    """``ddss check`` in process: (exit code, result or refusal). Anything else raised is a
    traceback for the steward, and fails the case."""
    TALLY.runs += 1
    try:
        result = check_file(path, dataset, cfg)
    except CheckRefused as exc:
        return 2, str(exc)
    return (0 if result.clean else 1), result


def _flagged_file(t: Template, cases: list[Case], folder: Path) -> tuple[Path, dict[str, int]]:
    """One file for all the dataset's ``Flagged`` cases: three clean rows, then each case's
    bad row (made from its own clean row, so no two rows repeat a key)."""
    rows = [list(r) for r in t.rows[:3]]
    at = {}
    first_row = 4 if t.contract.source.format == "xlsx" else 2  # title, blank, header
    for n, case in enumerate(cases):
        assert case.change is not None
        rows.append(case.change(t, list(t.rows[3 + n])))
        at[case.id] = first_row + len(rows) - 1
    if t.contract.source.format == "xlsx":
        return write_xlsx(folder, t.name("values"), {"Số liệu": xlsx_rows(t, rows)}), at
    text = csv_text(t.header, rows, t.delimiter)
    return write_bytes(folder, t.name("values"), text.encode("utf-8")), at


@pytest.fixture(scope="module")
def flagged(templates, chaos_workspace, tmp_path_factory) -> dict[str, tuple[int, tuple]]:
    """One check per dataset of the ``Flagged`` cases: case id -> (row, check outcome)."""
    outcomes: dict[str, tuple[int, tuple]] = {}
    for dataset in sorted({c.dataset for c in CASES if isinstance(c.expect, Flagged)}):
        cases = [c for c in CASES if c.dataset == dataset and isinstance(c.expect, Flagged)]
        path, at = _flagged_file(templates[dataset], cases, tmp_path_factory.mktemp("values"))
        code, result = _check(path, dataset, chaos_workspace)
        for case in cases:
            outcomes[case.id] = (at[case.id], (code, result))
    return outcomes


def _cfg_for(case: Case, cfg: Settings) -> Settings:
    if "DDSS_MAX_FILE_BYTES" in case.env:
        return dataclasses.replace(cfg, max_file_bytes=int(case.env["DDSS_MAX_FILE_BYTES"]))
    return cfg


def _read_exactly(case: Case, path: Path, t: Template) -> None:
    from ddss.ingest.readers import read_rows

    notes: list[Problem] = []
    TALLY.runs += 1
    rows = list(read_rows(path, t.contract, path.name, notes))
    assert all(values is not None for _, values, _, _ in rows), rows
    assert len(rows) == case.expect.rows  # type: ignore[union-attr]
    names = [c.name for c in t.contract.columns]
    read = [[values[n] for n in names] for _, values, _, _ in rows if values]
    assert read == t.rows[: len(read)], "values read differ from the values sent"
    wanted = case.expect.note  # type: ignore[union-attr]
    rules = [n.rule for n in notes]
    if wanted:
        assert wanted in rules, f"no '{wanted}' note for the steward: {notes}"
        note = notes[rules.index(wanted)]
        assert note.file == path.name and note.message_vi and note.message_en


LOADER_CASES = [c for c in CASES if not isinstance(c.expect, Flagged)]
FLAGGED_CASES = [c for c in CASES if isinstance(c.expect, Flagged)]


def test_the_catalogue_is_large_enough():
    """At least 60 bad inputs, in every format, over several datasets."""
    assert len(CASES) >= 60
    assert {c.dataset for c in CASES} >= {DOSSIERS, PARKING, HEALTH, SOCIAL, ETAX}


@pytest.mark.parametrize("case", [_param(c) for c in LOADER_CASES])
def test_check_ends_with_a_clear_message(case: Case, inputs, templates, chaos_workspace):
    path = inputs[case.id]
    expect = case.expect
    if isinstance(expect, Read):
        _read_exactly(case, path, templates[case.dataset])
        return
    started = time.monotonic()
    code, outcome = _check(path, case.dataset, _cfg_for(case, chaos_workspace))
    assert time.monotonic() - started < 60, "the check took too long (a hang?)"
    if isinstance(expect, Refused):
        assert code == 2, f"expected exit 2, got {code}: {outcome}"
        assert isinstance(outcome, str) and " / " in outcome and path.name in outcome
        if expect.says:
            assert expect.says in outcome.lower(), outcome
        return
    assert isinstance(expect, Rejected)
    assert code == 1 and isinstance(outcome, CheckResult), f"exit {code}: {outcome}"
    assert outcome.rows == 0, "a refused file's rows were counted as checked"
    [failure] = outcome.failures
    assert failure["rule"] == expect.rule, failure
    assert failure["severity"] == "file" and failure["message_vi"] and failure["message_en"]
    assert outcome.file == path.name
    if expect.row is not None:
        assert failure["source_row"] == expect.row, failure
    if expect.column is not None:
        assert failure["column"] == expect.column, failure
    if expect.value:
        assert failure["value"], failure
        assert len(failure["value"]) <= 100, "the message would carry the whole value"


@pytest.mark.parametrize("case", [_param(c) for c in FLAGGED_CASES])
def test_check_flags_the_bad_value_at_its_row_and_column(case: Case, flagged):
    row, (code, result) = flagged[case.id]
    assert code == 1 and isinstance(result, CheckResult), result
    at_row = [f for f in result.failures if f["source_row"] == row]
    assert at_row, f"row {row} is not flagged"
    column = case.expect.column  # type: ignore[union-attr]
    if column is not None:
        assert column in {f["column"] for f in at_row}, at_row


# --- the pipeline: every loader-refused file rejected, named, nothing loaded lost --------


def _loaded(cfg: Settings) -> dict[tuple[str, str], int]:
    import duckdb

    with duckdb.connect(str(cfg.warehouse_path), read_only=True) as con:
        loaded = con.execute("select dataset, file_name from meta.loaded_files").fetchall()
        counts = {}
        for dataset, name in loaded:
            table = source_contract(dataset, cfg).raw_table
            row = con.execute(
                f"select count(*) from raw.{table} where _source_file = ?", [name]
            ).fetchone()
            counts[(dataset, name)] = row[0] if row else 0
    return counts


PIPELINE_CASES = [c for c in LOADER_CASES if not c.env and c.make is not None and c.dataset != ETAX]


@pytest.fixture(scope="module")
def extracted(chaos_workspace, inputs, tmp_path_factory):
    """Every loader case's file landed at once in a copy of the workspace, one extract."""
    from ddss.ingest.extract import extract

    cfg = copy_workspace(chaos_workspace, tmp_path_factory.mktemp("extract"))
    before = _loaded(cfg)
    landed = {}
    for case in PIPELINE_CASES:
        contract = source_contract(case.dataset, cfg)
        if not contract.source.matches(inputs[case.id].name):
            continue  # not a name the department's folder is read for (an .xlsm, an .xls)
        folder = cfg.landing_dir / contract.department.landing_folder
        shutil.copyfile(inputs[case.id], folder / inputs[case.id].name)
        landed[case.id] = inputs[case.id].name
    TALLY.runs += 1
    report = extract("chaos-inputs", cfg)
    after = _loaded(cfg)
    for key, rows in before.items():
        TALLY.rows_lost += max(rows - after.get(key, 0), 0)
        TALLY.rows_doubled += max(after.get(key, 0) - rows, 0)
    return before, after, report, landed


def test_nothing_loaded_is_lost_or_doubled_by_the_bad_files(extracted):
    """Every file loaded before the bad ones arrived keeps exactly its rows."""
    before, after, _, landed = extracted
    assert landed
    assert {k: after.get(k) for k in before} == before


@pytest.mark.parametrize("case", [_param(c) for c in PIPELINE_CASES])
def test_extract_rejects_or_reads_the_file_naming_it(case: Case, extracted):
    _, after, report, landed = extracted
    if case.id not in landed:
        pytest.skip("the dataset's file pattern does not take this name; the check covers it")
    name = landed[case.id]
    rejected = {p.file: p for p in report.rejected}
    if isinstance(case.expect, Read):
        assert name not in rejected, rejected.get(name)
        assert after[(case.dataset, name)] == case.expect.rows
        if case.expect.note:  # the steward is told in the run too (meta.file_events, notes)
            assert case.expect.note in {n.rule for n in report.notes if n.file == name}
        return
    deferred = {p.file: p for p in report.deferred}
    if name in deferred:  # cut short: told, not taken, looked at again by the next run
        assert isinstance(case.expect, Refused) and deferred[name].message_vi
        return
    assert name in rejected, f"{name} was not rejected: loaded {report.loaded.get(name)} rows"
    problem = rejected[name]
    assert problem.message_vi and problem.message_en
    if isinstance(case.expect, Rejected):
        assert problem.rule == case.expect.rule, problem
        if case.expect.row is not None:
            assert problem.row == case.expect.row, problem
    assert (case.dataset, name) not in after, "a rejected file left rows behind"


# --- JSON APIs that misbehave -------------------------------------------------------------


@pytest.fixture
def api() -> Iterator[ThreadingHTTPServer]:
    with misbehaving_api(failures=1) as server:  # flaky: one 503, then the page
        yield server


API_CASES = [
    ("not_json", "an answer that is not JSON ends the fetch naming the endpoint"),
    ("short", "a total that does not match the records is refused, nothing written"),
    ("looping", "a next link that loops forever ends the fetch"),
    ("huge", "a page over the size limit ends the fetch"),
    ("hang", "a server that hangs ends the fetch within its time budget"),
    ("redirect", "a redirect to another server is not followed"),
    ("elsewhere", "a next link to another server is not followed"),
    ("flaky", "a 503 then 200 is retried and every record arrives exactly once"),
]


@pytest.mark.parametrize("mode", [pytest.param(m, id=f"api-{m}: {t}") for m, t in API_CASES])
def test_a_misbehaving_api_ends_the_fetch_with_a_clear_message(
    mode, api, chaos_workspace, tmp_path, monkeypatch
):
    from ddss.ingest.http_source import fetch

    monkeypatch.setenv("DDSS_HTTP_REQUEST_SECONDS", "1")
    monkeypatch.setenv("DDSS_HTTP_FETCH_SECONDS", "8")
    monkeypatch.setenv("DDSS_HTTP_MAX_BYTES", "100000")
    monkeypatch.setenv("DDSS_HTTP_ATTEMPTS", "2")
    api.mode = mode
    cfg = dataclasses.replace(
        chaos_workspace,
        landing_dir=tmp_path / "landing",
        api_url=f"http://127.0.0.1:{api.server_address[1]}",
    )
    contract = source_contract(ETAX, cfg)
    TALLY.runs += 1
    TALLY.faults += 1
    started = time.monotonic()
    if mode == "flaky":
        [path] = fetch(contract, cfg)
        assert json.loads(path.read_text("utf-8"))["records"] == RECORDS
        return
    with pytest.raises(FileRejected) as caught:
        fetch(contract, cfg)
    assert time.monotonic() - started < 15
    problem = caught.value.problem
    assert problem.message_vi and problem.message_en and problem.file
    written = list((tmp_path / "landing").rglob("*.json"))
    assert written == [], f"a failed fetch left {written}"


# --- the three symptoms of the issue, through the real command ----------------------------

SYMPTOMS = [
    ("nul-in-code", 1, "U+0000"),
    ("megabyte-cell", 1, "32,767"),
    ("extra-column", 0, "Cột không có trong mẫu"),
]


@pytest.mark.parametrize(
    ("case_id", "code", "says"),
    [
        pytest.param(
            *s, id=f"cli-{s[0]}: ddss check exits {s[1]} with a bilingual message, no traceback"
        )
        for s in SYMPTOMS
    ],
)
def test_ddss_check_command_on_the_issues_symptoms(case_id, code, says, inputs, chaos_workspace):
    """The issue's three symptoms as a steward meets them: a NUL accepted as clean, a cell
    over the csv field limit ending in a traceback, an extra column ignored in silence."""
    import subprocess

    from chaos.workspace import DDSS, ddss_env
    from conftest import REPO

    dataset = next(c.dataset for c in CASES if c.id == case_id)
    TALLY.runs += 1
    process = subprocess.run(
        [DDSS, "check", str(inputs[case_id]), "--dataset", dataset],
        env=ddss_env(chaos_workspace),
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
    )
    output = process.stdout + process.stderr
    assert process.returncode == code, output[-3000:]
    assert "Traceback" not in output
    assert says in output and inputs[case_id].name in output
