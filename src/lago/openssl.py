"""openssl: crypt hashes of passwords, the password on stdin (never in argv)."""
from __future__ import annotations

from typing import List

from . import runner


def passwd_argv() -> List[str]:
    return ["openssl", "passwd", "-6", "-stdin"]


def password_hash(password: str) -> str:
    """A SHA-512 crypt hash with a random salt, as /etc/shadow holds it."""
    return runner.run(passwd_argv(), input=password + "\n", timeout=30).stdout.strip()
