"""Checks for values that reach a line-based file or an argv (pure; no lago imports).

The env file validates its fields with these, and the writers of ssh argv, ssh_config, Ansible
inventory and virt-customize commands files check again where they write: a value from
anywhere else (a state file, a path) can then never add a line or an option either.
"""
from __future__ import annotations

import re
from typing import Optional

# A login name as useradd and sshd take it; never starts with '-' (an ssh option) and holds
# nothing ssh_config, the inventory or a commands file would read as a separator.
USER_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]{0,31}$")
# An Ansible group: an INI section name ('all-web' included), no ']' or blanks.
GROUP_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$")
# C0 controls and DEL: XML 1.0 cannot hold most of them, and a line-based file reads a
# newline or a carriage return as the start of a new line.
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")
# What XML 1.0 cannot carry at all (tab, newline and carriage return it can).
_NOT_XML_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def control_char(text: str, allow_newlines: bool = False) -> Optional[str]:
    """The first control character in ``text`` (as ``\\xNN``), or None.
    ``allow_newlines``: tab, newline and carriage return are fine (multi-line shell text)."""
    found = (_NOT_XML_RE if allow_newlines else _CONTROL_RE).search(text)
    return f"\\x{ord(found.group()):02x}" if found else None


def one_line(value: str, what: str) -> str:
    """``value`` if it holds no control character; ValueError otherwise (a writer's check:
    whatever the caller validated, a line-based file never gets a second line from it)."""
    bad = control_char(value)
    if bad:
        raise ValueError(f"{what} holds a control character ({bad}): {value!r}")
    return value


def user(value: str) -> str:
    """``value`` if it is a safe login name; ValueError otherwise."""
    if not USER_RE.match(value):
        raise ValueError(f"{value!r} is not a user name (letters, digits, '_', '.', '-', "
                         "not starting with '-' or a digit, at most 32)")
    return value
