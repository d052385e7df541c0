"""Errors a person reads: file, row, column, value, and the fix — Vietnamese first."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Problem:
    file: str
    row: int | None
    column: str | None
    value: str | None
    rule: str
    message_vi: str
    message_en: str

    def __str__(self) -> str:
        where = [f"tệp/file {self.file}"]
        if self.row is not None:
            where.append(f"dòng/row {self.row}")
        if self.column:
            where.append(f"cột/column {self.column}")
        if self.value is not None:
            where.append(f"giá trị/value {self.value!r}")
        return f"{', '.join(where)}: {self.message_vi} / {self.message_en}"

    def as_dict(self) -> dict:
        return asdict(self)


class FileRejected(Exception):
    """A whole file cannot be loaded; the raw copy is kept and nothing loaded is touched."""

    def __init__(self, problem: Problem):
        super().__init__(str(problem))
        self.problem = problem


class PublicationBlocked(Exception):
    """The gate refused the publication; the previous one stays exactly as it was."""

    def __init__(self, problems: list[Problem] | list[str]):
        self.problems = problems
        lines = "\n".join(f"- {p}" for p in problems)
        super().__init__(
            "Không công bố: dữ liệu chưa đạt kiểm định / Publication blocked: "
            f"the quality gate failed\n{lines}"
        )
