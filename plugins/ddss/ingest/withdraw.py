"""Withdrawing a file that should not have been sent, and noticing one.

A browser names a re-downloaded file ``ho_so_2022-07 (1).csv``; dropped beside the real
``ho_so_2022-07.csv`` it loads as a second file of the same period, and every one of its
rows is a duplicate. Extract warns when two loaded files of a dataset cover the same period
(:func:`same_period_warnings`); ``ddss withdraw FILE`` takes one back:

* its rows leave ``raw.*`` (and its ragged rows and control totals), and it stops standing
  for its name in ``meta.loaded_files``, so the next run validates and publishes without it;
* the landing file moves to ``<landing>/<department>/.withdrawn/`` (never read again);
* nothing is forgotten: the raw copy stays in the archive under its sha256, the manifest
  keeps its entry, a ``withdrawn`` file event and a line in ``raw/withdrawals.jsonl`` (who,
  when, why, sha256) are the audit trail. Sending the same file again loads it again.
"""

from __future__ import annotations

import getpass
import json
import shutil
from collections import defaultdict
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ddss.data_contracts import SourceContract, source_contracts
from ddss.durable import append_line
from ddss.errors import Problem
from ddss.ingest.archive import contract_for
from ddss.settings import Settings, load_settings
from ddss.warehouse import connect

WITHDRAWN_FOLDER = ".withdrawn"


class WithdrawError(ValueError):
    """The file cannot be withdrawn; the message says why, in both languages."""


@dataclass(frozen=True)
class Withdrawal:
    dataset: str
    file_name: str
    sha256: str
    rows_removed: int
    landing_moved_to: str | None
    withdrawn_by: str
    withdrawn_at: str
    reason: str


def _resolve(
    target: str, cfg: Settings, dataset: str | None
) -> tuple[SourceContract, str, Path | None]:
    """(contract, file name, landing path if the file is still in landing)."""
    contracts = source_contracts(cfg)
    path = Path(target)
    candidates = [path] if path.is_absolute() else [Path.cwd() / path, cfg.landing_dir / path]
    landing = next((c.resolve() for c in candidates if c.is_file()), None)
    name = path.name
    if dataset:
        chosen = [c for c in contracts if c.id == dataset]
    elif landing and landing.parent.parent == cfg.landing_dir.resolve():
        found = contract_for(name, landing.parent.name, contracts)
        chosen = [found] if found else []
    else:
        chosen = [c for c in contracts if c.source.matches(name)]
    if len(chosen) != 1:
        raise WithdrawError(
            f"Không xác định được bộ dữ liệu của tệp '{name}'; hãy chỉ rõ --dataset. / "
            f"Cannot tell which dataset '{name}' belongs to; give --dataset."
        )
    return chosen[0], name, landing


def _remove_rows(con: Any, contract: SourceContract, name: str) -> tuple[str, int]:
    loaded = con.execute(
        "select sha256 from meta.loaded_files where dataset = ? and file_name = ?",
        [contract.id, name],
    ).fetchall()
    if not loaded:
        raise WithdrawError(
            f"Tệp '{name}' chưa được nạp vào bộ dữ liệu {contract.id}, không có gì để rút lại. / "
            f"'{name}' is not loaded into {contract.id}: nothing to withdraw."
        )
    rows = con.execute(
        f"select count(*) from raw.{contract.raw_table} where _source_file = ?", [name]
    ).fetchall()[0][0]
    con.execute(f"delete from raw.{contract.raw_table} where _source_file = ?", [name])
    for table in ("raw.load_rejects", "meta.control_totals"):
        con.execute(f"delete from {table} where dataset = ? and file_name = ?", [contract.id, name])
    con.execute(
        "delete from meta.loaded_files where dataset = ? and file_name = ?", [contract.id, name]
    )
    return loaded[0][0], int(rows)


def _move_aside(landing: Path | None, contract: SourceContract, cfg: Settings) -> str | None:
    if landing is None or not landing.exists():
        return None
    folder = cfg.landing_dir / contract.department.landing_folder / WITHDRAWN_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / landing.name
    if target.exists():  # withdrawn before: keep both, the newer with its time
        target = folder / f"{datetime.now(UTC):%Y%m%dT%H%M%S}_{landing.name}"
    shutil.move(str(landing), target)
    for control in (contract.source.control_file_for(landing.name),):
        if control and (landing.parent / control).exists():
            shutil.move(str(landing.parent / control), folder / control)
    return str(target.relative_to(cfg.landing_dir))


def _event(
    con: Any,
    run_id: str,
    contract: SourceContract,
    problem: Problem,
    status: str,
    sha256: str | None = None,
    rows: int | None = None,
) -> None:
    con.execute(
        "insert into meta.file_events (run_id, dataset, department, file_name, sha256, bytes, "
        "rows, status, message_vi, message_en) values (?, ?, ?, ?, ?, null, ?, ?, ?, ?)",
        [
            run_id,
            contract.id,
            contract.department.id,
            problem.file,
            sha256,
            rows,
            status,
            problem.message_vi,
            problem.message_en,
        ],
    )


def _audit(cfg: Settings, withdrawal: Withdrawal) -> None:
    """One JSON line per withdrawal, appended and synced: the trail outside the warehouse."""
    cfg.raw_dir.mkdir(parents=True, exist_ok=True)
    append_line(
        cfg.raw_dir / "withdrawals.jsonl", json.dumps(asdict(withdrawal), ensure_ascii=False), 0o644
    )


def withdraw(
    target: str, cfg: Settings | None = None, dataset: str | None = None, reason: str = ""
) -> Withdrawal:
    """Take back a loaded file (a path in landing, or its name with ``dataset``)."""
    cfg = cfg or load_settings()
    contract, name, landing = _resolve(target, cfg, dataset)
    with connect(cfg) as con:
        con.execute("begin transaction")
        try:
            sha256, rows = _remove_rows(con, contract, name)
            withdrawal = Withdrawal(
                dataset=contract.id,
                file_name=name,
                sha256=sha256,
                rows_removed=rows,
                landing_moved_to=None,
                withdrawn_by=getpass.getuser(),
                withdrawn_at=datetime.now(UTC).isoformat(timespec="seconds"),
                reason=reason,
            )
            problem = Problem(
                name,
                None,
                None,
                None,
                "withdrawn",
                f"Tệp đã được rút lại ({rows} dòng bỏ khỏi dữ liệu). {reason}".strip(),
                f"File withdrawn ({rows} rows removed from the data). {reason}".strip(),
            )
            _event(
                con,
                f"withdraw__{withdrawal.withdrawn_at}",
                contract,
                problem,
                "withdrawn",
                sha256,
                rows,
            )
            con.execute("commit")
        except Exception:
            con.execute("rollback")
            raise
    withdrawal = Withdrawal(
        **{**asdict(withdrawal), "landing_moved_to": _move_aside(landing, contract, cfg)}
    )
    _audit(cfg, withdrawal)
    return withdrawal


def same_period_warnings(con: Any, run_id: str, contracts: list[SourceContract]) -> list[Problem]:
    """A warning per dataset and period that two or more loaded files cover, naming them and
    how to withdraw the one sent by mistake; recorded as file events."""
    warnings = []
    for contract in contracts:
        if not contract.source.period_regex:
            continue
        by_period: dict[str, list[str]] = defaultdict(list)
        for (name,) in con.execute(
            "select file_name from meta.loaded_files where dataset = ? order by file_name",
            [contract.id],
        ).fetchall():
            period = contract.source.period_of(name)
            if period:
                by_period[period].append(name)
        for period, names in sorted(by_period.items()):
            if len(names) < 2:
                continue
            listed = ", ".join(f"'{n}'" for n in names)
            problem = Problem(
                names[-1],
                None,
                None,
                None,
                "same_period",
                f"{len(names)} tệp cùng kỳ {period} của bộ dữ liệu {contract.title_vi}: {listed}. "
                f"Nếu có tệp gửi nhầm, hãy rút lại: ddss withdraw <tệp>.",
                f"{len(names)} files cover period {period} of {contract.title_en}: {listed}. "
                f"If one was sent by mistake, withdraw it: ddss withdraw <file>.",
            )
            _event(con, run_id, contract, problem, "warning")
            warnings.append(problem)
    return warnings
