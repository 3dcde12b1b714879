"""What is wrong with an imported model file, as data: every problem found, not just the first.

A retailer uploading a model fixes it in their own tool and uploads again; listing every error
at once saves them a round trip per problem. Codes are stable dotted names a client can map to
help text; messages say what is wrong, where, and what to do.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Problem:
    """One finding about a model file. severity "error" rejects the file; "warning" does not."""

    severity: Severity
    code: str
    message: str

    def to_dict(self) -> dict:
        return {"severity": self.severity, "code": self.code, "message": self.message}


@dataclass
class ProblemLog:
    """Collects the problems of one file; each message starts with the file's name."""

    label: str
    problems: list[Problem] = field(default_factory=list)

    def error(self, code: str, message: str) -> None:
        self.problems.append(Problem("error", code, f"{self.label}: {message}"))

    def warning(self, code: str, message: str) -> None:
        self.problems.append(Problem("warning", code, f"{self.label}: {message}"))

    def extend(self, problems: list[Problem] | tuple[Problem, ...]) -> None:
        self.problems.extend(problems)

    @property
    def has_errors(self) -> bool:
        return any(p.severity == "error" for p in self.problems)

    @property
    def codes(self) -> list[str]:
        return [p.code for p in self.problems]

    @contextmanager
    def malformed(self, where: str) -> Iterator[None]:
        """Report a JSON value of the wrong type or a dangling index met while checking `where`
        as a "gltf.malformed" error instead of a traceback, and carry on with the next check."""
        try:
            yield
        except (TypeError, KeyError, IndexError, AttributeError, ValueError, OverflowError) as exc:
            self.error(
                "gltf.malformed",
                f"{where} is malformed ({type(exc).__name__}: {exc}); re-export the model, or check it "
                "with the Khronos glTF validator (github.khronos.org/glTF-Validator)",
            )


def summarise(problems: tuple[Problem, ...]) -> str:
    """One paragraph naming every error, then every warning, each with its code."""
    errors = [p for p in problems if p.severity == "error"]
    warnings = [p for p in problems if p.severity == "warning"]
    parts = []
    if errors:
        parts.append(f"{len(errors)} error{'s' if len(errors) != 1 else ''}: " + _numbered(errors))
    if warnings:
        parts.append(f"{len(warnings)} warning{'s' if len(warnings) != 1 else ''}: " + _numbered(warnings))
    return "model rejected; " + "; ".join(parts) if parts else "model rejected"


def _numbered(problems: list[Problem]) -> str:
    return " ".join(f"({i}) [{p.code}] {p.message}" for i, p in enumerate(problems, 1))
