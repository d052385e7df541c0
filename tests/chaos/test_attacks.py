"""Group 3: attacks. Odd names and links in landing never reach outside the landing and raw
folders nor stop the extract; planted personal data never reaches ``public/`` (text, JSON,
Parquet); no published CSV cell is a formula; no script planted in a value runs in the
portal or the steward report (headless Chromium); no secret of the environment is written
to a log, report or publication."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from chaos.attacks import (
    FORMULAS,
    PERSONAL,
    SECRETS,
    public_texts,
    search_forms,
)
from chaos.tally import TALLY
from chaos.workspace import ddss_env, raw_names_match
from conftest import REPO, copy_workspace, leaked, tree_state
from ddss.settings import Settings

pytestmark = pytest.mark.slow

DOSSIER_FOLDER = "tuyen_quang_pasc"


@dataclass(frozen=True)
class LandingAttack:
    id: str
    invariant: str
    make: Callable[[Path, Path, str], None]  # (department folder, outside folder, a clean body)
    name: str  # the landing entry it creates
    expect: str  # "refused": named in rejected, not archived; "left": neither taken nor named
    known_defect: str | None = None


def _write(name: str, body_row: int = 1):
    def make(folder: Path, outside: Path, body: str) -> None:
        lines = body.splitlines()
        (folder / name).write_text(f"{lines[0]}\n{lines[body_row]}\n", "utf-8")

    return make


def _symlink(name: str, target_of: Callable[[Path], Path]):
    def make(folder: Path, outside: Path, body: str) -> None:
        (folder / name).symlink_to(target_of(outside))

    return make


def _hard_link(folder: Path, outside: Path, body: str) -> None:
    secret = outside / "owned-by-someone-else.csv"
    secret.write_text(body, "utf-8")
    os.link(secret, folder / "ho_so_hardlink.csv")


def _fifo(folder: Path, outside: Path, body: str) -> None:
    os.mkfifo(folder / "ho_so_fifo.csv")


LANDING_ATTACKS = [
    LandingAttack(
        "name-newline",
        "a name with a newline is refused, never archived",
        _write("ho_so_a\nb.csv", 2),
        "ho_so_a\nb.csv",
        "refused",
    ),
    LandingAttack(
        "name-rtl-override",
        "a name with a right-to-left override (ho_so_\u202evsc.exe) is refused",
        _write("ho_so_\u202evsc.exe.csv", 3),
        "ho_so_\u202evsc.exe.csv",
        "refused",
    ),
    LandingAttack(
        "name-dash",
        "a name that is an option (-rf) matches nothing and stays put",
        _write("-rf ho_so_.csv", 4),
        "-rf ho_so_.csv",
        "left",
    ),
    LandingAttack(
        "symlink-absolute",
        "a symlink to an absolute path outside landing is refused",
        _symlink("ho_so_etc.csv", lambda o: Path("/etc/passwd")),
        "ho_so_etc.csv",
        "refused",
    ),
    LandingAttack(
        "symlink-dotdot",
        "a symlink ../../ out of landing is refused",
        _symlink("ho_so_up.csv", lambda o: Path("../../../../outside/secret.csv")),
        "ho_so_up.csv",
        "refused",
    ),
    LandingAttack(
        "symlink-directory",
        "a symlink to a folder outside landing is not followed",
        _symlink("ho_so_dir.csv", lambda o: o),
        "ho_so_dir.csv",
        "left",
    ),
    LandingAttack(
        "hard-link-out",
        "a hard link to a file outside landing is refused",
        _hard_link,
        "ho_so_hardlink.csv",
        "refused",
    ),
    LandingAttack(
        "fifo",
        "a named pipe named like a data file does not hang the extract",
        _fifo,
        "ho_so_fifo.csv",
        "left",
    ),
]
LONG_NAME = "ho_so_" + "x" * 200 + ".csv"
EXTRACT_SCRIPT = """
import json, sys
from pathlib import Path
sys.path.insert(0, {tests!r})
from conftest import settings_for
from ddss.ingest.extract import extract
report = extract("chaos-attack", settings_for(Path({root!r})))
print(json.dumps(report.as_dict(), ensure_ascii=False))
"""


def _extract(cfg: Settings) -> subprocess.CompletedProcess:
    """The extract in its own process, bounded in time (a FIFO must not hang it)."""
    TALLY.runs += 1
    root = cfg.public_dir.parent
    script = EXTRACT_SCRIPT.format(tests=str(REPO / "tests"), root=str(root))
    return subprocess.run(
        [sys.executable, "-c", script],
        env=ddss_env(cfg),
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture(scope="module")
def landing_attacked(chaos_workspace, tmp_path_factory):
    cfg = copy_workspace(chaos_workspace, tmp_path_factory.mktemp("attacked") / "ws")
    outside = cfg.public_dir.parent.parent / "outside"
    outside.mkdir()
    (outside / "secret.csv").write_text("bí mật\n", "utf-8")
    folder = cfg.landing_dir / DOSSIER_FOLDER
    body = (folder / "ho_so_2022-05.csv").read_text("utf-8-sig")
    for attack in LANDING_ATTACKS:
        attack.make(folder, outside, body)
    before = tree_state(outside)
    process = _extract(cfg)
    report = json.loads(process.stdout.splitlines()[-1]) if process.returncode == 0 else None
    return cfg, outside, before, process, report


def _param(attack: LandingAttack):
    marks = (
        [pytest.mark.xfail(reason=attack.known_defect, strict=True)] if attack.known_defect else []
    )
    return pytest.param(attack, id=f"{attack.id}: {attack.invariant}", marks=marks)


@pytest.mark.parametrize("attack", [_param(a) for a in LANDING_ATTACKS])
def test_landing_attack(attack: LandingAttack, landing_attacked):
    cfg, outside, before, process, report = landing_attacked
    TALLY.faults += 1
    assert process.returncode == 0, process.stderr[-3000:]
    assert tree_state(outside) == before, "something outside landing was changed"
    assert raw_names_match(cfg) == []
    archived = {a["file_name"] for a in report["archived"] + report["duplicates"]}
    rejected = {Path(p["file"]).name for p in report["rejected"]}
    assert attack.name not in archived, f"{attack.name!r} was archived"
    if attack.expect == "refused":
        assert attack.name in rejected, f"{attack.name!r} was not refused"
    else:
        assert attack.name not in rejected


def test_a_very_long_landing_name_is_refused_without_stopping_the_extract(
    chaos_workspace, tmp_path
):
    """A 200-character name is refused with a message; the other files are still taken."""
    cfg = copy_workspace(chaos_workspace, tmp_path / "ws")
    folder = cfg.landing_dir / DOSSIER_FOLDER
    lines = (folder / "ho_so_2022-05.csv").read_text("utf-8-sig").splitlines()
    (folder / LONG_NAME).write_text(f"{lines[0]}\n{lines[5]}\n", "utf-8")
    TALLY.faults += 1
    process = _extract(cfg)
    assert process.returncode == 0, process.stderr[-2000:]
    report = json.loads(process.stdout.splitlines()[-1])
    assert LONG_NAME in {p["file"] for p in report["rejected"]}


# --- personal data ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def published_texts(chaos_workspace) -> dict[str, str]:
    assert (chaos_workspace.public_dir / "current").exists()
    return public_texts(chaos_workspace.public_dir)


@pytest.mark.parametrize(
    "kind",
    [
        pytest.param(
            k, id=f"pii-{k}: planted in every free-text column, found in no file under public/"
        )
        for k in PERSONAL
    ],
)
def test_no_planted_personal_value_reaches_public(kind, published_texts):
    forms = {form for value in PERSONAL[kind] for form in search_forms(value)}
    found = {
        name: sorted(hit)
        for name, text in published_texts.items()
        if (hit := leaked(forms, text) | {f for f in forms if f.casefold() in text.casefold()})
    }
    TALLY.personal_values_public += sum(len(v) for v in found.values())
    assert found == {}, f"personal values published: {found}"


# --- formulas --------------------------------------------------------------------------

NUMBER = re.compile(r"^[+-]?\d+([.,]\d+)*([eE][+-]?\d+)?$")


def _formula_cells(public: Path, prefix: str) -> list[tuple[str, int, str]]:
    cells = []
    for path in sorted((public / "current").rglob("*.csv")):
        text = path.read_text("utf-8-sig")
        for number, row in enumerate(csv.reader(io.StringIO(text, newline="")), start=1):
            for cell in row:
                if cell.startswith(prefix) and not NUMBER.match(cell):
                    cells.append((path.name, number, cell[:40]))
    return cells


@pytest.mark.parametrize(
    "name",
    [
        pytest.param(k, id=f"formula-{k}: no published CSV cell starts with it unescaped")
        for k in FORMULAS
    ],
)
def test_no_published_csv_cell_is_a_formula(name, chaos_workspace):
    prefix = FORMULAS[name][0]
    found = _formula_cells(chaos_workspace.public_dir, prefix)
    assert found == [], f"cells a spreadsheet would run: {found[:5]}"


def test_the_planted_formulas_and_html_were_published_as_text(published_texts):
    """The attacks above were really exercised: the planted payloads reached the published
    downloads (neutralised), they were not merely held back."""
    downloads = "".join(t for n, t in published_texts.items() if "downloads" in n)
    published = [k for k, v in FORMULAS.items() if v.strip()[1:12] in downloads]
    TALLY.lines.append(f"formula payloads published as text: {len(published)}/{len(FORMULAS)}")
    assert len(published) >= len(FORMULAS) - 2, published
    assert "chaos_pwned" in downloads


# --- HTML and JavaScript ---------------------------------------------------------------


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    from browser import chromium, require_chromium

    require_chromium()
    yield from chromium(tmp_path_factory.mktemp("chromium"), 900)


def _pages(root: Path, pattern: str) -> list[Path]:
    return sorted(p for p in root.rglob(pattern) if p.is_file())


def _no_script_runs(driver, pages: list[Path]) -> list[str]:
    ran = []
    for page in pages:
        driver.get(page.resolve().as_uri())
        if driver.execute_script("return window.__chaos_pwned === 1"):
            ran.append(str(page))
    return ran


def test_no_planted_script_runs_in_the_portal(browser, chaos_workspace):
    """HTML/JS planted in published values: every portal page loads without running it."""
    pages = _pages(chaos_workspace.public_dir / "current", "*.html")
    assert pages
    assert _no_script_runs(browser, pages) == []


def test_no_planted_script_runs_in_the_steward_report(browser, chaos_workspace):
    """HTML/JS in a failing cell: the steward report shows it as text, never runs it."""
    reports = _pages(chaos_workspace.reports_dir, "index.html")
    assert reports
    texts = "".join(p.read_text("utf-8") for p in reports)
    assert "chaos_pwned" in texts, "the planted failing value is not in any report"
    assert _no_script_runs(browser, reports) == []


# --- secrets ---------------------------------------------------------------------------


def test_no_secret_of_the_environment_in_any_log_report_or_publication(chaos_workspace):
    """The runs had secrets in their environment (SMTP password, Fernet key, API token): no
    file under data/ or public/, and no output of ``ddss check``, holds one."""
    TALLY.runs += 1
    process = subprocess.run(
        [
            str(Path(sys.executable).with_name("ddss")),
            "check",
            "--json",
            str(chaos_workspace.landing_dir / DOSSIER_FOLDER / "ho_so_2022-04.csv"),
            "--dataset",
            "admin_procedure_dossiers",
        ],
        env=ddss_env(chaos_workspace, **SECRETS),
        capture_output=True,
        text=True,
        timeout=300,
        cwd=REPO,
    )
    assert process.returncode in (0, 1), process.stderr[-2000:]
    outputs = process.stdout + process.stderr
    found = [s for s in SECRETS.values() if s in outputs]
    for root in (chaos_workspace.public_dir, chaos_workspace.landing_dir.parent):
        for path in root.rglob("*"):
            if path.is_file() and not path.is_symlink() and "landing" not in path.parts:
                data = path.read_bytes()
                found += [f"{path.name}: {s}" for s in SECRETS.values() if s.encode() in data]
    assert found == []
