"""Phase events (SPEC §12): one JSON line per phase start and end, and the per-VM phase times
that `up` reports at its end.

A line is ``{"ts": EPOCH_SECONDS, "event": "start"|"end"|"fail", "vm": NAME|null,
"phase": PHASE, "seconds": DURATION|null}``; env-wide phases (``lease``, ``network``) have
``vm: null``. Phases, in the order a VM meets them: lease, overlay, provision, define, boot
(``virsh start``), banner (the guest boots until its sshd answers: guest time, inside
ssh-ready), key-install (first contact with a `provision: none` guest: the password login
that installs the env's key, inside ssh-ready), ssh-ready (the env's key logs in),
provisioned (cloud-init finished), wait-for (the VM's ``wait_for`` command, until it exits
0), deployed.
Lines are appended and flushed one at a time under a lock, so a reader (``tail -f``) sees
each as it happens, also from parallel work.
"""
from __future__ import annotations

import contextlib
import json
import os
import threading
import time
from typing import IO, Dict, Iterator, Optional

PHASES = ("lease", "network", "overlay", "provision", "define", "boot", "banner",
          "key-install", "ssh-ready", "provisioned", "wait-for", "deployed")

_lock = threading.Lock()
_sink: Optional[IO[str]] = None
_times: Dict[str, Dict[str, float]] = {}


def open_file(path: str) -> None:
    """Append events to ``path`` from now on (created 0644; '-' is not special)."""
    global _sink
    close()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    _sink = os.fdopen(fd, "a", encoding="utf-8")


def close() -> None:
    global _sink
    with _lock:
        if _sink is not None:
            _sink.close()
            _sink = None


def reset() -> None:
    """Forget the recorded phase times (an operation starts)."""
    with _lock:
        _times.clear()


def emit(event: str, phase: str, vm: Optional[str] = None,
         seconds: Optional[float] = None) -> None:
    line = {"ts": round(time.time(), 3), "event": event, "vm": vm, "phase": phase,
            "seconds": None if seconds is None else round(seconds, 3)}
    with _lock:
        if event == "end":
            per = _times.setdefault(vm or "", {})
            per[phase] = per.get(phase, 0.0) + (seconds or 0.0)
        if _sink is not None:
            _sink.write(json.dumps(line) + "\n")
            _sink.flush()


def times() -> Dict[str, Dict[str, float]]:
    """{vm: {phase: seconds}} of the phases ended since reset(); env-wide phases under ''."""
    with _lock:
        return {vm: {p: round(s, 3) for p, s in per.items()} for vm, per in _times.items()}


@contextlib.contextmanager
def timed(phase: str, vm: Optional[str] = None) -> Iterator[None]:
    """Emit start, then end (or fail) with the block's duration."""
    emit("start", phase, vm)
    t0 = time.monotonic()
    try:
        yield
    except BaseException:
        emit("fail", phase, vm, time.monotonic() - t0)
        raise
    emit("end", phase, vm, time.monotonic() - t0)
