"""Small landing files for the ingest tests (a few rows, so the tests stay in the fast loop)."""

from __future__ import annotations

from pathlib import Path

from ddss.data_contracts import SourceContract, load_contracts
from ddss.settings import Settings

FOLDER = "tuyen_quang_pasc"
DATASET = "admin_procedure_dossiers"


def dossier_contract(cfg: Settings) -> SourceContract:
    contract = load_contracts(cfg)[DATASET]
    assert isinstance(contract, SourceContract)
    return contract


def dossier_rows(count: int, start: int = 1) -> list[list[str]]:
    return [
        [
            f"000.00.15.H61-220101-{n:04d}",
            "1.001234",
            "Trực tiếp",
            "08527",
            "Nguyễn Văn An",
            "001090123456",
            "0912345678",
            "03/01/2022",
            "10/01/2022",
            "05/01/2022",
            "",
        ]
        for n in range(start, start + count)
    ]


def dossier_csv(cfg: Settings, rows: list[list[str]], delimiter: str = ",") -> str:
    header = [c.header or c.name for c in dossier_contract(cfg).columns]
    return "".join(delimiter.join(r) + "\r\n" for r in [header, *rows])


def drop(cfg: Settings, name: str, data: bytes | str) -> Path:
    """Write a file into the dossiers' landing folder, as a department would."""
    folder = cfg.landing_dir / FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path
