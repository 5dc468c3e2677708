"""The single exception hierarchy of pgxannot.

Every error a user can cause (bad input, bad configuration, unusable knowledge
base, no network) is a :class:`PgxannotError`. The command line maps these to a
one-line message and a non-zero exit code; anything else is a bug and keeps its
traceback.

Messages follow one pattern: *what* was wrong, *where* (file, line or record)
and *what to do*. Build them with :meth:`PgxannotError.at` when a location is
known.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path


class PgxannotError(Exception):
    """Base class of every user-facing error. ``exit_code`` is what the CLI returns."""

    exit_code = 2

    def __init__(self, message: str, *, path: str | Path | None = None,
                 where: str | None = None, hint: str | None = None) -> None:
        self.message = message
        self.path = str(path) if path is not None else None
        self.where = where
        self.hint = hint
        super().__init__(self.one_line())

    def one_line(self) -> str:
        """The message as one line: ``path:where: message. hint``."""
        loc = ""
        if self.path:
            loc = self.path
            if self.where:
                loc += f" ({self.where})"
            loc += ": "
        elif self.where:
            loc = f"{self.where}: "
        text = f"{loc}{self.message}"
        if self.hint:  # "... other regions?" keeps its question mark: no "?." before the hint
            text = (text if text.endswith(("?", "!")) else text.rstrip(".") + ".") + f" {self.hint}"
        return " ".join(text.split())

    def lines(self) -> list[str]:
        """Every problem as one line (one for most errors; see :class:`InputChecksFailed`)."""
        return [self.one_line()]


class ConfigError(PgxannotError):
    """config.yaml is missing, malformed or has values of the wrong type."""


class SampleSheetError(PgxannotError):
    """The sample sheet is malformed (missing column, repeated sample, bad path...)."""


class InputFileError(PgxannotError):
    """An input file is missing, unreadable or not of the expected format."""


class VcfError(InputFileError):
    """A VCF/BCF cannot be read or does not hold what pgxannot needs."""


class BuildMismatchError(VcfError):
    """The VCF was made on another genome build than the configured one."""


class OutsideCallError(InputFileError):
    """A line of an outside-call file is malformed or names an unknown gene/allele."""


class CnvError(InputFileError):
    """A copy-number file is malformed."""


class KnowledgeBaseError(PgxannotError):
    """The bundled or downloaded knowledge base is missing, corrupt or inconsistent."""


class DownloadError(KnowledgeBaseError):
    """A knowledge-base download failed (network, HTTP status, checksum, content)."""


class OutputError(PgxannotError):
    """An output cannot be written (read-only or full folder, unsafe name)."""


class InputChecksFailed(PgxannotError):
    """The input checks found problems that stop the whole run (each is one line)."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__(f"{len(self.problems)} input problem(s): " + "; ".join(self.problems))

    def lines(self) -> list[str]:
        return list(self.problems)


class PatientsFailed(PgxannotError):
    """Some patients of an annotation job could not be annotated; no report was written.

    ``failures`` maps each patient's sample id to its one-line error.
    """

    def __init__(self, failures: Mapping[str, str]) -> None:
        self.failures = dict(failures)
        super().__init__(f"{len(self.failures)} patient(s) could not be annotated: "
                         + "; ".join(f"{s}: {m}" for s, m in self.failures.items()))

    def lines(self) -> list[str]:
        return [f"patient {s}: {m}" for s, m in self.failures.items()]
