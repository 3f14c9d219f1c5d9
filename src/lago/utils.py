"""Upstream Lago's ``lago.utils``: commands, rollback, threads, timers, ssh channels.

The names and parameters are upstream's; the work is done by this build's own pieces: every
process starts through ``runner`` (argv lists, never a shell), and an "ssh channel" is a
command on a VM over the OpenSSH client with the env's key and shared connection (see
``SSHChannel``), not a paramiko object.
"""
from __future__ import annotations

import collections
import functools
import json
import os
import queue
import sys
import threading
import time
from typing import IO, TYPE_CHECKING, Any, Callable, Dict, List, Mapping, Optional, Sequence

from . import runner
from .errors import UsageError
from .log import logger

if TYPE_CHECKING:
    from .ssh import Target

LOG = logger("lago")

PIPE = -1  # subprocess.PIPE's value: upstream's out_pipe/err_pipe default
_CommandStatus = collections.namedtuple("CommandStatus", ("code", "out", "err"))


class CommandStatus(_CommandStatus):
    """(code, out, err) of a command. As upstream, it is true when the command FAILED
    (its truth is the exit code's), so ``if vm.ssh([...]):`` reads "if it failed"."""

    def __bool__(self) -> bool:
        return self.code != 0


def run_command(command: Sequence[str], input_data: Optional[Any] = None,
                out_pipe: int = PIPE, err_pipe: int = PIPE,
                env: Optional[Mapping[str, str]] = None, **kwargs: Any) -> CommandStatus:
    """Run ``command`` (an argv) to completion; any exit code is returned, not raised.

    ``input_data`` goes to its stdin; ``env`` is added to this process's environment;
    ``cwd`` and ``timeout`` are the keyword arguments taken. Output is always captured (as
    text): ``out_pipe``/``err_pipe`` other than PIPE are refused."""
    if out_pipe != PIPE or err_pipe != PIPE:
        raise UsageError("run_command captures stdout and stderr: out_pipe/err_pipe must be "
                         "subprocess.PIPE")
    unknown = sorted(set(kwargs) - {"cwd", "timeout"})
    if unknown:
        raise TypeError(f"run_command() got unexpected keyword argument(s): {unknown}")
    if isinstance(input_data, bytes):
        input_data = input_data.decode("utf-8", "surrogateescape")
    # Negative codes: killed by a signal; like upstream, that is a result, not an error.
    res = runner.run(list(command), input=input_data, env=env, ok_codes=range(-64, 256),
                     timeout=kwargs.get("timeout"), cwd=kwargs.get("cwd"))
    return CommandStatus(res.returncode, res.stdout, res.stderr)


def service_is_enabled(name: str) -> bool:
    """Is systemd unit ``name`` enabled on this host?"""
    code, out, _ = run_command(["systemctl", "is-enabled", name])
    return code == 0 and out.strip() == "enabled"


def json_dump(obj: Any, f: IO[str]) -> None:
    """``obj`` as indented, key-sorted JSON into the open file ``f``."""
    json.dump(obj, f, indent=4, sort_keys=True)


def setup_logging(logdir: str) -> None:
    """Log everything (debug) into ``logdir/lago.log`` as well."""
    from . import log
    os.makedirs(logdir, exist_ok=True)
    log.attach_file(os.path.join(logdir, "lago.log"))


class RollbackContext:
    """Records undo actions and plays them all when the block ends, unless ``clear()`` was
    called (so: on success, clear). ``prependDefer`` actions run before ``defer`` ones. The
    block's own error wins; else the first undo error is raised after every undo has run."""

    def __init__(self, *args: Any) -> None:
        self._finally: List[tuple] = []

    def __enter__(self) -> "RollbackContext":
        return self

    def __exit__(self, exc_type: Any, exc_value: Any, traceback: Any) -> None:
        first: Optional[BaseException] = None
        for func, args, kwargs in self._finally:
            try:
                func(*args, **kwargs)
            except Exception as exc:  # every undo runs; the first failure is kept
                LOG.debug("rollback step failed", exc_info=True)
                first = first or exc
        self._finally = []
        if exc_type is None and first is not None:
            raise first

    def defer(self, func: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        self._finally.append((func, args, kwargs))

    def prependDefer(self, func: Callable[..., Any], *args: Any, **kwargs: Any) -> None:  # noqa: N802
        self._finally.insert(0, (func, args, kwargs))

    def clear(self) -> None:
        self._finally = []


class EggTimer:
    """``with EggTimer(seconds) as t: while not t.elapsed(): ...``"""

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self.start_time = time.monotonic()

    def __enter__(self) -> "EggTimer":
        self.start_time = time.monotonic()
        return self

    def __exit__(self, *_: Any) -> None:
        pass

    def elapsed(self) -> bool:
        """True once ``timeout`` seconds have passed since the start."""
        return time.monotonic() - self.start_time > self.timeout


def _ret_via_queue(func: Callable[[], Any], q: "queue.Queue[Dict[str, Any]]") -> None:
    try:
        q.put({"return": func()})
    except BaseException as exc:  # handed to the joining thread, which re-raises it
        q.put({"exception": exc})


class VectorThread:
    """Run each of ``targets`` (callables without arguments) in its own thread."""

    def __init__(self, targets: Sequence[Callable[[], Any]]) -> None:
        self.targets = list(targets)
        self.results: Optional[List[Dict[str, Any]]] = None
        self.thread_handles: List[tuple] = []

    def start_all(self) -> None:
        for target in self.targets:
            q: "queue.Queue[Dict[str, Any]]" = queue.Queue()
            t = threading.Thread(target=_ret_via_queue, args=(target, q), daemon=True)
            self.thread_handles.append((t, q))
            t.start()

    def join_all(self, raise_exceptions: bool = True) -> List[Any]:
        """Wait for every thread; their return values in order. The first error (in the
        targets' order) is raised unless ``raise_exceptions`` is false (then it is None)."""
        if self.results is None:
            for t, _ in self.thread_handles:
                t.join()
            self.results = [q.get() for _, q in self.thread_handles]
        if raise_exceptions:
            for result in self.results:
                if "exception" in result:
                    raise result["exception"]
        return [r.get("return") for r in self.results]


def func_vector(target: Callable[..., Any], args_sequence: Sequence[Sequence[Any]]
                ) -> List[Callable[[], Any]]:
    return [functools.partial(target, *args) for args in args_sequence]


def invoke_in_parallel(func: Callable[..., Any], *args_sequences: Sequence[Any]) -> List[Any]:
    """``func(a, b, ...)`` for each tuple of ``zip(*args_sequences)``, all at once."""
    vt = VectorThread(func_vector(func, list(zip(*args_sequences))))
    vt.start_all()
    return vt.join_all()


class SSHChannel:
    """One command on a VM over ssh, shaped like the channel upstream's helpers take:
    ``exec_command`` names the command (a shell command line, as upstream), ``send`` gives
    its stdin. It runs when drained."""

    def __init__(self, target: "Target") -> None:
        self.target = target
        self.command: Optional[str] = None
        self.data = ""

    def exec_command(self, command: str) -> None:
        self.command = command

    def send(self, data: Any) -> int:
        text = data.decode("utf-8", "surrogateescape") if isinstance(data, bytes) else data
        self.data += text
        return len(data)

    def shutdown_write(self) -> None:
        pass

    def close(self) -> None:
        pass

    def argv(self, tty: bool = False) -> List[str]:
        from . import ssh
        command = None if self.command is None else ["sh", "-c", self.command]
        return ssh.command_argv(self.target, command, tty=tty)


def drain_ssh_channel(chan: SSHChannel, stdin: Optional[IO[str]] = None,
                      stdout: Optional[IO[str]] = sys.stdout,
                      stderr: Optional[IO[str]] = sys.stderr) -> CommandStatus:
    """Run the channel's command to its end: (code, out, err). What ``stdin`` holds (else
    what was sent) is its input; its output is also written to ``stdout``/``stderr`` unless
    they are None."""
    data = stdin.read() if stdin is not None else chan.data
    res = runner.run(chan.argv(), input=data, ok_codes=range(256), cwd=chan.target.control_dir)
    for stream, text in ((stdout, res.stdout), (stderr, res.stderr)):
        if stream is not None and text:
            stream.write(text)
            stream.flush()
    return CommandStatus(res.returncode, res.stdout, res.stderr)


def interactive_ssh_channel(chan: SSHChannel, command: Optional[str] = None,
                            stdin: IO[str] = sys.stdin) -> int:
    """A session on this terminal: ``command`` (or a login shell); returns its exit code."""
    if command is not None:
        chan.exec_command(command)
    if stdin not in (sys.stdin, sys.__stdin__):
        raise UsageError("an interactive ssh session reads this process's own stdin")
    return runner.run_attached(chan.argv(tty=True), cwd=chan.target.control_dir)
