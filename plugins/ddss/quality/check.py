"""Pre-flight for stewards: ``ddss check PATH --dataset ID`` runs the same loader, dbt
staging and quality suite as the pipeline on one file, in a throw-away warehouse, and lists
every failure with its spreadsheet row number. Nothing is archived, loaded or published.

The check never opens the production warehouse: DuckDB gives one process the file, and a
reader's lock makes a running pipeline's next write fail (issue 19). Reference data the rules
need (the service catalogue for dossiers, say) comes from the Parquet snapshots the validate
step writes beside the warehouse (``ddss.quality.reference_snapshot``); the result says when
there is none yet.

As in the pipeline, a land file's control totals are read from the file beside it
(``<stem>.kiem_soat.json``) and checked, and coverage (đủ) is judged — for the periods the
file is for only.

Exit codes of the command: 0 clean, 1 problems found in the file, 2 the check could not be
run (unknown dataset, a file of a kind the dataset is not sent as).
"""

from __future__ import annotations

import dataclasses
import shutil
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from ddss.data_contracts import SourceContract, source_contract, source_contracts
from ddss.errors import FileRejected, Problem
from ddss.settings import Settings, load_settings

# What each contract format is sent as; anything else cannot be read as that format.
SUFFIXES = {"csv": {".csv", ".txt"}, "xlsx": {".xlsx", ".xlsm"}, "json": {".json"}}
FORMAT_NAMES = {
    "csv": ("CSV (.csv)", "CSV (.csv)"),
    "xlsx": ("Sổ làm việc Excel (.xlsx)", "Excel Workbook (.xlsx)"),
    "json": ("JSON (.json)", "JSON (.json)"),
}


# Loader rejections that mean the bytes are not of the dataset's kind at all (an .xls or a
# CSV sent for an .xlsx dataset, text sent as JSON): the check cannot be run (exit 2), as
# opposed to a file read as its kind in which problems were found (exit 1).
NOT_ITS_KIND = {"wrong_format", "not_xlsx", "not_json"}


# Every failure of a check has these fields (``--json`` prints them), whatever found it:
# the loader, a rule of the suite or a batch-level check.
FAILURE_FIELDS = (
    "source_row",
    "column",  # the header the steward sees
    "field",  # the contract's column name
    "value",
    "rule",
    "criterion",
    "severity",  # row, warning or file
    "message_vi",
    "message_en",
    "repeats_row",  # a duplicate: the earlier row it repeats
    "hint_vi",  # what a spreadsheet probably did (Excel's lost zeros, a period as a date)
    "hint_en",
)


class CheckRefused(ValueError):
    """The check cannot be run on this file (exit 2); the message is bilingual."""


@dataclasses.dataclass
class CheckResult:
    file: str
    dataset: str
    rows: int
    failures: list[dict]
    notes: list[str]

    @property
    def clean(self) -> bool:
        return not self.failures

    @property
    def summary(self) -> list[dict]:
        from ddss.quality.findings import summarise

        return summarise(self.failures)

    def as_json(self) -> dict:
        """What ``ddss check --json`` prints: the checked file first, then its findings."""
        return {
            "file": self.file,
            "dataset": self.dataset,
            "rows": self.rows,
            "clean": self.clean,
            "summary": self.summary,
            "failures": self.failures,
            "notes": self.notes,
        }


def dataset_ids(cfg: Settings | None = None) -> list[str]:
    return sorted(c.id for c in source_contracts(cfg or load_settings()))


def datasets_help() -> str:
    """The dataset ids for ``--help``; the help still shows if a contract cannot be read."""
    try:
        return ", ".join(dataset_ids())
    except Exception:  # noqa: BLE001 - help text must never fail
        return "(see plugins/ddss/contracts/)"


def _contract(dataset: str, cfg: Settings) -> SourceContract:
    try:
        return source_contract(dataset, cfg)
    except KeyError:
        known = ", ".join(dataset_ids(cfg))
        raise CheckRefused(
            f"Không có bộ dữ liệu '{dataset}'. Các bộ dữ liệu: {known}. / "
            f"Unknown dataset '{dataset}'. Known datasets: {known}."
        ) from None


def _refuse_wrong_kind(path: Path, contract: SourceContract) -> None:
    """A file of a kind this dataset is not sent as cannot be read as that kind: say what
    to send instead of failing somewhere inside a reader."""
    if not path.is_file():
        raise CheckRefused(
            f"Không tìm thấy tệp '{path}'. / File '{path}' not found (or it is a folder)."
        )
    wanted = contract.source.format
    suffix = path.suffix.lower()
    if suffix in SUFFIXES.get(wanted, {suffix}):
        return
    vi_kind, en_kind = FORMAT_NAMES.get(wanted, (wanted, wanted))
    if suffix == ".xls":
        vi_how = f"Mở tệp trong Excel, chọn File > Save As và lưu dạng {vi_kind}."
        en_how = f"Open it in Excel, choose File > Save As and save it as {en_kind}."
    else:
        vi_how = f"Hãy gửi tệp dạng {vi_kind} theo mẫu của bộ dữ liệu."
        en_how = f"Send it as {en_kind}, following the dataset's template."
    raise CheckRefused(
        f"Tệp '{path.name}' ({suffix or 'không có đuôi'}) không phải dạng mà bộ dữ liệu "
        f"'{contract.id}' nhận ({vi_kind}). {vi_how} / "
        f"The file '{path.name}' ({suffix or 'no extension'}) is not what dataset "
        f"'{contract.id}' is sent as ({en_kind}). {en_how}"
    )


def _scratch(cfg: Settings, root: Path) -> Settings:
    return dataclasses.replace(
        cfg,
        landing_dir=root / "landing",
        raw_dir=root / "raw",
        warehouse_path=root / "warehouse" / "check.duckdb",
        reports_dir=root / "reports",
        public_dir=root / "public",
        # a dry run: its own DuckDB file, never the production lake (DuckLake mode)
        lake_catalog=None,
        lake_data_path=None,
        mode="file",
    )


def _archived(path: Path, scratch: Settings, contract: SourceContract, name: str):
    """Copy ``path`` into the scratch archive as ``name``; its manifest entry."""
    from ddss.checksums import sha256_of
    from ddss.ingest.extract import ArchivedFile

    shutil.copyfile(path, scratch.raw_dir / name)
    return ArchivedFile(
        dataset=contract.id,
        department=contract.department.id,
        file_name=name,
        sha256=sha256_of(path),
        bytes=path.stat().st_size,
        raw_path=name,
        landing_path=name,
        status="check",
        archived_at=datetime.now(UTC).isoformat(),
    )


def _load_control_totals(
    con, path: Path, scratch: Settings, contract: SourceContract, notes: list[str]
) -> None:
    """The control-totals file beside the data file, loaded as the pipeline loads it (the
    gate then checks the totals, or reports the file missing)."""
    from ddss.ingest.load import load_control

    control_name = contract.source.control_file_for(path.name)
    if control_name is None:
        return
    if not contract.source.matches(path.name):
        notes.append(
            f"Tên tệp '{path.name}' không theo mẫu '{contract.source.pattern}': đường ống sẽ "
            f"không nhận tệp này và không ghép được tệp tổng kiểm soát. / The file name does not "
            f"follow the pattern '{contract.source.pattern}': the pipeline would not pick it up "
            "and its control totals cannot be matched."
        )
        return
    beside = path.with_name(control_name)
    if beside.is_file():
        load_control(con, scratch, _archived(beside, scratch, contract, control_name), contract)


def _too_large(path: Path, size: int, limit: int) -> Problem:
    return Problem(
        path.name,
        None,
        None,
        str(size),
        "file_too_large",
        f"Tệp quá lớn ({size} byte, tối đa {limit}). Hãy chia tệp theo tháng.",
        f"File too large ({size} bytes, limit {limit}). Split it by month.",
    )


def _rejected(path: Path, dataset: str, problem: Problem, notes: list[str]) -> CheckResult:
    failure = {
        "source_row": problem.row,
        "column": problem.column,
        "field": None,
        "value": problem.value,
        "rule": problem.rule,
        "criterion": "dung",
        "severity": "file",
        "message_vi": problem.message_vi,
        "message_en": problem.message_en,
        "repeats_row": None,
        "hint_vi": None,
        "hint_en": None,
    }
    return CheckResult(path.name, dataset, 0, [failure], notes)


def _load(
    path: Path, cfg: Settings, scratch: Settings, contract: SourceContract, notes: list[str]
) -> int:
    """Load the file (and its control totals) into the scratch warehouse, with the reference
    snapshots of ``cfg``'s warehouse; return its rows. Raises FileRejected as the loader does."""
    from ddss.ingest.extract import ensure_raw_table, load_file
    from ddss.quality.reference_snapshot import import_references
    from ddss.reference.wards import load_reference_tables
    from ddss.warehouse import connect

    entry = _archived(path, scratch, contract, path.name)
    read_notes: list[Problem] = []  # how the file was read: separator, sheet, extra columns
    with connect(scratch) as con:
        load_reference_tables(con)
        notes.extend(import_references(con, cfg, contract.id))
        try:
            rows, _ = load_file(con, scratch, entry, contract, "check", read_notes)
        finally:  # a file refused after its header still shows what was noticed before
            notes.extend(str(note) for note in read_notes)
        _load_control_totals(con, path, scratch, contract, notes)
        for other in source_contracts(scratch):  # empty tables for what staging may read
            ensure_raw_table(con, other)
    return rows


def _failures(con, contract: SourceContract, outcome, cfg: Settings) -> list[dict]:
    from ddss.quality.report import steward_rows

    failures = [
        {
            "source_row": f["source_row"],
            "column": f["column_header"],
            "field": f["column"],
            "value": f["value"],
            "rule": f["rule"],
            "criterion": f["criterion"],
            "severity": f["severity"],
            "message_vi": f["message_vi"],
            "message_en": f["message_en"],
            "repeats_row": f["repeats_row"],
            "hint_vi": f["hint_vi"],
            "hint_en": f["hint_en"],
        }
        for f in steward_rows(con, contract, cfg)
    ]
    for problem in outcome.blocking:
        failures.append(
            {
                "source_row": None,
                "column": None,
                "field": problem.column,
                "value": problem.value,
                "rule": problem.rule,
                "criterion": "du",
                "severity": "file",
                "message_vi": problem.message_vi,
                "message_en": problem.message_en,
                "repeats_row": None,
                "hint_vi": None,
                "hint_en": None,
            }
        )
    return failures


def check_file(path: Path, dataset: str, cfg: Settings | None = None) -> CheckResult:
    """Check one file as the pipeline would. Raises CheckRefused when it cannot be checked."""
    from ddss.quality.freshness import file_period
    from ddss.quality.gate import validate
    from ddss.transform.dbt_runner import run_dbt
    from ddss.warehouse import connect

    cfg = cfg or load_settings()
    contract = _contract(dataset, cfg)
    path = path.resolve()
    _refuse_wrong_kind(path, contract)
    notes: list[str] = []
    size = path.stat().st_size
    if size > cfg.max_file_bytes:  # as the archive refuses it, before reading a byte
        return _rejected(path, dataset, _too_large(path, size, cfg.max_file_bytes), notes)
    with tempfile.TemporaryDirectory(prefix="ddss-check-") as tmp:
        scratch = _scratch(cfg, Path(tmp))
        scratch.raw_dir.mkdir(parents=True)
        try:
            rows = _load(path, cfg, scratch, contract, notes)
        except FileRejected as exc:
            if exc.problem.rule in NOT_ITS_KIND:
                problem = exc.problem
                raise CheckRefused(
                    f"Tệp '{path.name}': {problem.message_vi} / "
                    f"File '{path.name}': {problem.message_en}"
                ) from None
            return _rejected(path, dataset, exc.problem, notes)
        # --quiet: with --json, standard output must hold nothing but the JSON.
        run_dbt(["run", "--quiet", "--select", f"+{contract.staging_model}"], scratch)
        period = file_period(contract, path.name)
        outcome = validate(dataset, "check", scratch, coverage_periods=[period] if period else None)
        with connect(scratch) as con:
            failures = _failures(con, contract, outcome, scratch)
        return CheckResult(path.name, dataset, rows, failures, notes)


def _where(failure: dict) -> str:
    where = f"dòng/row {failure['source_row']}" if failure["source_row"] else "cả tệp/whole file"
    column = f", cột/column '{failure['column']}'" if failure["column"] else ""
    value = f", giá trị/value {failure['value']!r}" if failure["value"] is not None else ""
    return where + column + value


def render_text(result: CheckResult) -> str:
    """The check for a person: notes, a summary of repeated errors (counts, a few examples,
    the likely cause), then every failure."""
    lines = [f"! {note}" for note in result.notes]
    if result.clean:
        lines.append(
            f"{result.file}: {result.rows} dòng, không có lỗi. / {result.rows} rows, no problems."
        )
        return "\n".join(lines)
    lines.append(
        f"{result.file}: {result.rows} dòng, {len(result.failures)} lỗi cần sửa / "
        f"{result.rows} rows, {len(result.failures)} problems to fix"
    )
    summary = result.summary
    if any(item["count"] > 1 for item in summary):
        lines.append("Tóm tắt / Summary:")
        lines.extend(_summary_lines(summary))
    lines.append("Tất cả lỗi / Every problem:")
    lines.extend(f"- {_where(f)}: {f['message_vi']} / {f['message_en']}" for f in result.failures)
    return "\n".join(lines)


def _example(example: dict) -> str:
    value = "(trống/empty)" if example["value"] is None else repr(example["value"])
    return f"{example['source_row']}: {value}" if example["source_row"] else value


def _summary_lines(summary: list[dict]) -> list[str]:
    """Each rule once: how many rows, a few examples, the likely cause."""
    lines = []
    for item in summary:
        examples = ", ".join(_example(e) for e in item["examples"])
        column = f" [{item['column']}]" if item["column"] else ""
        lines.append(
            f"  {item['count']} × {item['message_vi']} / {item['message_en']}{column}"
            f" (ví dụ/e.g. {examples})"
        )
        if item["hint_vi"]:
            lines.append(f"    → {item['hint_vi']} / {item['hint_en']}")
    return lines
