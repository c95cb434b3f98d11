"""A record that could not be read, reported as ``file:line: problem``."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import ValidationError


@dataclass(frozen=True)
class Reject:
    source: str  # a file path, or ``archive.zip!member.txt`` for a member of an archive
    line: int | None  # 1-based line where the record starts (None: the whole file)
    problem: str

    def __str__(self) -> str:
        where = f"{self.source}:{self.line}" if self.line is not None else self.source
        return f"{where}: {self.problem}"

    def to_dict(self) -> dict[str, object]:
        return {"source": self.source, "line": self.line, "problem": self.problem}


def describe_validation_error(err: ValidationError) -> str:
    """One readable line from a pydantic error: ``missing title; published: not a date``."""
    parts = []
    for e in err.errors():
        msg = str(e.get("msg", "invalid")).removeprefix("Value error, ")
        loc = ".".join(str(p) for p in e.get("loc", ()) if p != "__root__")
        parts.append(msg if (not loc or loc in msg) else f"{loc}: {msg}")
    return "; ".join(parts)
