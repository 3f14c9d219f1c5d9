"""The env file checker's located-problem collector: it walks the raw document with the
line map from load.py and gathers every problem (and every ignored key) with where it is."""
from __future__ import annotations

import os
import re
from typing import Any, Dict, List, Optional, Tuple

from .. import safe
from . import load, upstream

VAR_RE = re.compile(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))")


class Checker:
    """Collects located problems while walking the raw document."""

    def __init__(self, path: str, lines: Dict[Tuple[Any, ...], int], variables: Dict[str, str]):
        self.path = path
        self.lines = lines
        self.variables = variables
        self.problems: List[str] = []
        self.warnings: List[str] = []
        self.base_dir = os.path.dirname(os.path.abspath(path))

    def where(self, loc: Tuple[Any, ...]) -> str:
        probe = loc
        while probe and probe not in self.lines:
            probe = probe[:-1]
        line = self.lines.get(probe)
        prefix = f"{self.path}:{line}" if line else self.path
        return f"{prefix}: {load.dotted(loc)}"

    def bad(self, loc: Tuple[Any, ...], msg: str) -> None:
        self.problems.append(f"{self.where(loc)}: {msg}")

    def keys(self, obj: Dict[str, Any], allowed: Tuple[str, ...], loc: Tuple[Any, ...],
             ignored: Any = ()) -> None:
        """Lago's rule for a key unknown at its level: an error when it is a close match of
        a known key there (a typo), else a warning naming it (Lago ignored such keys)."""
        for key in obj:
            if key in allowed or key in ignored:
                continue
            close = upstream.close_match(str(key), allowed)
            if close:
                self.bad(loc + (key,), f"unknown key (did you mean '{close}'?)")
            else:
                self.warnings.append(f"{self.where(loc + (key,))}: unknown key, ignored")

    def typed(self, obj: Dict[str, Any], key: str, types: Any, loc: Tuple[Any, ...],
              default: Any = None) -> Any:
        if key not in obj or obj[key] is None:
            return default
        value = obj[key]
        if isinstance(value, bool) and bool not in as_tuple(types):
            self.bad(loc + (key,), f"expected {type_name(types)}, got a boolean")
            return default
        if not isinstance(value, types):
            self.bad(loc + (key,), f"expected {type_name(types)}, got {type_name(type(value))}")
            return default
        return value

    def expand(self, value: str, loc: Tuple[Any, ...]) -> str:
        def sub(match: "re.Match[str]") -> str:
            name = match.group(1) or match.group(2)
            if name in self.variables:
                return self.variables[name]
            self.bad(loc, f"${name} is not set")
            return match.group(0)
        return os.path.expanduser(VAR_RE.sub(sub, value))

    def host_file(self, value: str, loc: Tuple[Any, ...], what: str) -> str:
        self.text(value, loc)
        path = self.expand(value, loc)
        if not os.path.isabs(path):
            path = os.path.join(self.base_dir, path)
        path = os.path.normpath(path)
        if not os.path.isfile(path):
            self.bad(loc, f"{what} {path} does not exist")
        return path

    def text(self, value: Optional[str], loc: Tuple[Any, ...],
             allow_newlines: bool = False) -> Optional[str]:
        """``value`` unless it holds a control character (XML cannot carry them, and a line
        break would start a new line in the files lago writes); then a located problem."""
        bad = safe.control_char(value, allow_newlines) if value is not None else None
        if bad:
            self.bad(loc, f"holds a control character ({bad})")
            return None
        return value

    def matches(self, value: Optional[str], regex: "re.Pattern[str]", loc: Tuple[Any, ...],
                what: str) -> Optional[str]:
        """``value`` if it matches ``regex``; else a located problem naming ``what``."""
        if value is not None and not regex.match(value):
            self.bad(loc, f"{value!r} is not {what}")
            return None
        return value


def as_tuple(types: Any) -> tuple:
    return types if isinstance(types, tuple) else (types,)


def type_name(types: Any) -> str:
    names = {str: "a string", int: "an integer", bool: "true/false", dict: "a mapping",
             list: "a list", float: "a number", type(None): "nothing"}
    return " or ".join(names.get(t, t.__name__) for t in as_tuple(types))
