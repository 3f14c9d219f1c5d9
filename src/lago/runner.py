"""The only module that starts processes.

Every external tool is run from an argv list (never a shell). The command line is logged at
debug with secrets masked; a failure raises ``CommandFailed`` carrying argv, exit code, stdout
and stderr. Interactive hand-over replaces the process with ``exec``.
"""
from __future__ import annotations

import contextlib
import os
import shlex
import shutil
from typing import Iterable, Mapping, NamedTuple, Optional, Sequence, Union

from .errors import CommandFailed, ToolMissing
from .log import logger

LOG = logger("lago.run")


class Secret(str):
    """An argv item that must never be logged."""


Arg = Union[str, Secret]


class Result(NamedTuple):
    argv: Sequence[str]
    returncode: int
    stdout: str
    stderr: str


def masked(argv: Sequence[Arg]) -> str:
    """The command line as it may be logged."""
    return shlex.join("******" if isinstance(a, Secret) else str(a) for a in argv)


def which(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        raise ToolMissing(f"{tool} is not installed or not on PATH",
                          hint="install the host packages listed in the README")
    return path


def run(argv: Sequence[Arg], *, input: Optional[str] = None, timeout: Optional[float] = None,
        ok_codes: Iterable[int] = (0,), env: Optional[Mapping[str, str]] = None,
        cwd: Optional[str] = None) -> Result:
    """Run argv to completion and return its output; raise CommandFailed on other exit codes."""
    import subprocess  # in each runner: `lago.pyz ssh` execs ssh and starts no process
    plain = [str(a) for a in argv]
    LOG.debug("run: %s", masked(argv))
    full_env = None
    if env is not None:
        full_env = dict(os.environ)
        full_env.update(env)
    try:
        proc = subprocess.run(plain, input=input, capture_output=True, text=True,
                              timeout=timeout, env=full_env, cwd=cwd,
                              stdin=None if input is not None else subprocess.DEVNULL)
    except FileNotFoundError:
        raise ToolMissing(f"{plain[0]} is not installed or not on PATH",
                          hint="install the host packages listed in the README") from None
    except subprocess.TimeoutExpired as exc:
        out = _text(exc.stdout)
        err = _text(exc.stderr)
        LOG.debug("timeout after %s s: %s", timeout, masked(argv))
        raise CommandFailed(_masked_list(argv), -1, out, err, timeout=timeout) from None
    result = Result(_masked_list(argv), proc.returncode, proc.stdout, proc.stderr)
    if proc.returncode not in tuple(ok_codes):
        LOG.debug("exit %d: %s\nstderr: %s", proc.returncode, masked(argv), proc.stderr.strip())
        raise CommandFailed(result.argv, proc.returncode, proc.stdout, proc.stderr)
    return result


def run_files(argv: Sequence[Arg], *, stdin_path: Optional[str] = None,
              stdout_path: Optional[str] = None, timeout: Optional[float] = None,
              ok_codes: Iterable[int] = (0,), cwd: Optional[str] = None,
              env: Optional[Mapping[str, str]] = None,
              stderr_path: Optional[str] = None) -> Result:
    """Like run(), for byte streams (tar): stdin from a file, stdout into a file, so large
    data never sits in memory. The Result's stdout is empty; stderr is captured as text
    (from ``stderr_path`` when given: a process that leaves a daemon behind, which keeps
    its stderr, returns without waiting for the daemon to close a pipe)."""
    import subprocess
    plain = [str(a) for a in argv]
    LOG.debug("run: %s%s%s", masked(argv), f" <{stdin_path}" if stdin_path else "",
              f" >{stdout_path}" if stdout_path else "")
    full_env = None
    if env is not None:
        full_env = dict(os.environ)
        full_env.update(env)
    with contextlib.ExitStack() as stack:
        stdin = stack.enter_context(open(stdin_path, "rb")) if stdin_path else subprocess.DEVNULL
        stdout = stack.enter_context(open(stdout_path, "wb")) if stdout_path else \
            subprocess.DEVNULL
        stderr = stack.enter_context(open(stderr_path, "wb")) if stderr_path else \
            subprocess.PIPE
        try:
            proc = subprocess.run(plain, stdin=stdin, stdout=stdout, stderr=stderr,
                                  timeout=timeout, cwd=cwd, env=full_env)
        except FileNotFoundError:
            raise ToolMissing(f"{plain[0]} is not installed or not on PATH",
                              hint="install the host packages listed in the README") from None
        except subprocess.TimeoutExpired as exc:
            LOG.debug("timeout after %s s: %s", timeout, masked(argv))
            raise CommandFailed(_masked_list(argv), -1, "", _text(exc.stderr),
                                timeout=timeout) from None
    if stderr_path:
        with open(stderr_path, "rb") as fh:
            err = _text(fh.read())
    else:
        err = _text(proc.stderr)
    result = Result(_masked_list(argv), proc.returncode, "", err)
    if proc.returncode not in tuple(ok_codes):
        LOG.debug("exit %d: %s\nstderr: %s", proc.returncode, masked(argv), err.strip())
        raise CommandFailed(result.argv, proc.returncode, "", err)
    return result


def run_attached(argv: Sequence[Arg], cwd: Optional[str] = None) -> int:
    """Run argv on this process's terminal (stdin, stdout, stderr inherited) and return its
    exit code: an interactive session for a caller that goes on afterwards (the Python API);
    the command line hands over with exec_replace instead."""
    import subprocess
    LOG.debug("run attached: %s", masked(argv))
    try:
        return subprocess.run([str(a) for a in argv], cwd=cwd).returncode
    except FileNotFoundError:
        raise ToolMissing(f"{argv[0]} is not installed or not on PATH") from None


def exec_replace(argv: Sequence[Arg], cwd: Optional[str] = None,
                 stdin_path: Optional[str] = None) -> None:
    """Hand the terminal over: replace this process with argv (interactive ssh, console).

    ``cwd``: the directory it runs in; ``stdin_path``: a file that becomes its stdin."""
    LOG.debug("exec: %s", masked(argv))
    plain = [str(a) for a in argv]
    if stdin_path is not None:
        fd = os.open(stdin_path, os.O_RDONLY)
        os.dup2(fd, 0)
        os.close(fd)
    if cwd is not None:
        os.chdir(cwd)
    try:
        os.execvp(plain[0], plain)
    except FileNotFoundError:
        raise ToolMissing(f"{plain[0]} is not installed or not on PATH") from None


def spawn_pty(argv: Sequence[Arg], timeout: float):
    """Start argv on a pseudo-terminal for a scripted dialogue; returns a pexpect child."""
    from .vendored import pexpect

    LOG.debug("spawn: %s", masked(argv))
    plain = [str(a) for a in argv]
    child = pexpect().spawn(plain[0], plain[1:], timeout=timeout, encoding="utf-8",
                            codec_errors="replace")
    # ptyprocess sleeps this long in close() before it looks whether the child exited; callers
    # wait() for a child that ended, and one still running is terminated anyway.
    child.ptyproc.delayafterclose = 0.0
    return child


def _masked_list(argv: Sequence[Arg]) -> list:
    return ["******" if isinstance(a, Secret) else str(a) for a in argv]


def _text(data: Union[bytes, str, None]) -> str:
    if data is None:
        return ""
    if isinstance(data, bytes):
        return data.decode("utf-8", "replace")
    return data
