"""Serial console: wait for text on it (pexpect, imported lazily) for scripts."""
from __future__ import annotations

import time
from typing import Sequence

from . import runner, vendored
from .errors import ExternalError, Timeout

NUDGE_EVERY = 5.0


def wait_for(argv: Sequence[str], text: str, timeout: float, what: str) -> float:
    """Attach to the console, press Enter now and then (a getty prints its prompt again), and
    return the seconds until ``text`` appeared; Timeout if it did not."""
    pexpect = vendored.pexpect()
    t0 = time.monotonic()
    deadline = t0 + timeout
    child = runner.spawn_pty(argv, timeout=timeout)
    try:
        try:
            child.expect_exact("Escape character", timeout=min(30.0, timeout))
        except (pexpect.TIMEOUT, pexpect.EOF):
            raise ExternalError(f"could not attach to the console of {what}: "
                                f"{(child.before or '').strip()[-200:]}") from None
        while True:
            child.send("\r")
            left = deadline - time.monotonic()
            try:
                child.expect_exact(text, timeout=max(0.1, min(NUDGE_EVERY, left)))
                return time.monotonic() - t0
            except pexpect.TIMEOUT:
                if time.monotonic() >= deadline:
                    raise Timeout(f"'{text}' did not appear on the console of {what} within "
                                  f"{timeout:g} s") from None
            except pexpect.EOF:
                raise ExternalError(f"the console of {what} closed before '{text}' "
                                    "appeared") from None
    finally:
        if child.isalive():
            child.sendcontrol("]")  # detach cleanly so the console is free for the next user
        child.close(force=True)
