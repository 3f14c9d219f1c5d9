"""Error types and the exit codes they map to (SPEC §3).

Library code raises these; only ``cli.main`` turns them into messages and exit codes.
"""
from __future__ import annotations

from typing import Optional, Sequence

EXIT_OK = 0
EXIT_EXTERNAL = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


class LagoError(Exception):
    """Base of every error lago reports without a traceback."""

    exit_code = EXIT_EXTERNAL

    def __init__(self, message: str, hint: Optional[str] = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def lines(self) -> list:
        out = [self.message]
        if self.hint:
            out.append(self.hint)
        return out


class UsageError(LagoError):
    """Bad command line or bad input: exit 2."""

    exit_code = EXIT_USAGE


class SpecError(UsageError):
    """An env file with one or more problems, each with its location."""

    def __init__(self, path: str, problems: Sequence[str]) -> None:
        self.path = path
        self.problems = list(problems)
        count = len(self.problems)
        head = f"{path}: {count} problem{'s' if count != 1 else ''} in the env file"
        super().__init__(head if count != 1 else self.problems[0])

    def lines(self) -> list:
        if len(self.problems) == 1:
            return [self.problems[0]]
        return [self.message] + [f"  {p}" for p in self.problems]


class LeaseError(UsageError):
    """No subnet can be leased (pool exhausted, requested subnet taken)."""


class LockBusy(UsageError):
    """A lock is held by another process longer than we are willing to wait."""


class NotFound(UsageError):
    """A prefix, VM or other named thing does not exist."""


class ExternalError(LagoError):
    """An external step failed: a tool, a VM, a timeout. Exit 1."""


class CommandFailed(ExternalError):
    """A subprocess exited with an unexpected code."""

    def __init__(self, argv: Sequence[str], returncode: int, stdout: str, stderr: str,
                 timeout: Optional[float] = None) -> None:
        self.argv = list(argv)
        self.returncode = returncode
        self.stdout = stdout
        self.stderr = stderr
        self.timed_out = timeout is not None
        tool = self.argv[0] if self.argv else "?"
        if self.timed_out:
            msg = f"{tool} did not finish within {timeout:g} s"
        else:
            detail = (stderr or stdout).strip().splitlines()
            last = detail[-1] if detail else "no output"
            msg = f"{tool} failed (exit {returncode}): {last}"
        super().__init__(msg)


class ToolMissing(ExternalError):
    """A host tool lago needs is not installed."""


class Timeout(ExternalError):
    """Waiting for a VM or a service took longer than allowed."""
