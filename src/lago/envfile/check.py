"""Env file → validated model, with every problem reported at once and located (SPEC §4).

Nothing here touches the host beyond reading the env file and checking that the files it names
exist. ``load_env`` raises ``SpecError`` (exit 2) listing every problem.
"""
from __future__ import annotations

import difflib
import os
from typing import Any, Dict, Optional, Tuple

from ..errors import SpecError
from ..model import Env
from . import load
from .checker import Checker
from .domains import check_domain
from .nets import check_addresses, check_net

TOP_KEYS = ("domains", "nets", "prototypes")


def load_env(path: str, variables: Optional[Dict[str, str]] = None) -> Env:
    """Load and validate an env file; raise SpecError with every problem found."""
    data, lines, problems = load.load(path)
    env_vars = dict(os.environ)
    env_vars.setdefault("LAGO_INITFILE_PATH", os.path.dirname(os.path.abspath(path)))
    env_vars.update(variables or {})
    chk = Checker(path, lines, env_vars)
    chk.problems.extend(problems)
    env = _check_document(chk, data)
    if chk.problems:
        raise SpecError(path, chk.problems)
    assert env is not None
    env.warnings = chk.warnings
    return env


def _check_document(chk: Checker, data: Any) -> Optional[Env]:
    if not isinstance(data, dict):
        chk.bad((), "the env file must be a mapping with 'domains' and 'nets'")
        return None
    # A top-level key that only holds a block for YAML aliases (Lago's 'base_disk: &d') is
    # no unknown key.
    chk.keys(data, TOP_KEYS, (), ignored=chk.lines.get(load.ANCHORS, ()))
    raw_nets = chk.typed(data, "nets", dict, (), {})
    raw_domains = chk.typed(data, "domains", dict, (), {})
    prototypes = chk.typed(data, "prototypes", dict, (), {})
    if not raw_domains:
        chk.bad(("domains",), "at least one domain (VM) is needed")
    if not raw_nets:
        chk.bad(("nets",), "at least one net is needed")
    nets = {}
    for name, raw in raw_nets.items():
        net = check_net(chk, str(name), raw, ("nets", name))
        if net:
            nets[net.name] = net
    domains = {}
    for name, raw in raw_domains.items():
        loc = ("domains", name)
        raw = _inherit(chk, raw, prototypes, loc)
        dom = check_domain(chk, str(name), raw, loc, raw_nets)
        if dom:
            domains[dom.name] = dom
    check_addresses(chk, domains, nets)
    return Env(os.path.abspath(chk.path), domains, nets)


def _inherit(chk: Checker, raw: Any, prototypes: Dict[str, Any], loc: Tuple[Any, ...]) -> Any:
    seen = []
    while isinstance(raw, dict) and "based-on" in raw:
        base_name = raw["based-on"]
        if not isinstance(base_name, str) or base_name not in prototypes:
            close = difflib.get_close_matches(str(base_name), [str(p) for p in prototypes], n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            chk.bad(loc + ("based-on",), f"no prototype named '{base_name}'{hint}")
            return {k: v for k, v in raw.items() if k != "based-on"}
        if base_name in seen:
            chk.bad(loc + ("based-on",), f"prototypes form a loop: {' -> '.join(seen)}")
            return {k: v for k, v in raw.items() if k != "based-on"}
        seen.append(base_name)
        base = prototypes[base_name] if isinstance(prototypes[base_name], dict) else {}
        merged = dict(base)
        merged.update({k: v for k, v in raw.items() if k != "based-on"})
        raw = merged
    return raw
