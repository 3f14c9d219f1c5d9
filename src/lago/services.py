"""Services inside a guest: which manager runs them, and the argv that asks or tells it.

Pure: argv builders and parsers only; the commands run over ssh (see ``vmservice``). A guest
is asked afresh every time which manager it has, because its answer can change (a revert to
another image, a container started later) and a cached one would hide that.

Managers, in the order they are looked for:

- ``container``: a systemd unit inside a container on the guest (``podman`` or ``docker``
  exec CONTAINER systemctl …), when a container is named;
- ``systemd``: systemd is the running init (``/run/systemd/system`` exists) — ``systemctl``;
- ``sysv``: the guest has the ``service`` command — ``service NAME status|start|stop``;
- ``none``: neither (e.g. a busybox guest): every service is ``missing``.
"""
from __future__ import annotations

import re
from typing import Dict, List, Optional

from .errors import ExternalError, UsageError

MISSING, INACTIVE, ACTIVE = "missing", "inactive", "active"
STATES = (MISSING, INACTIVE, ACTIVE)
ACTIONS = ("status", "start", "stop")
# systemd unit names and SysV script names: no spaces, no leading '-' (it would read as an
# option), nothing a shell or systemctl would treat specially.
NAME_RE = re.compile(r"^[A-Za-z0-9_@:.\\][A-Za-z0-9_@:.\\-]{0,254}$")
CONTAINER_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")

# Prints the facts the choice needs, one "key=value" per line. $1 is the service name.
_PROBE = """
if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then echo init=systemd
elif command -v service >/dev/null 2>&1; then echo init=sysv
else echo init=none; fi
[ -e "/etc/init.d/$1" ] && echo sysv_script=yes
for r in podman docker; do
  if command -v "$r" >/dev/null 2>&1; then echo runtime="$r"; break; fi
done
true
"""


def check_name(name: str) -> str:
    if not NAME_RE.match(name or ""):
        raise UsageError(f"bad service name {name[:80]!r}",
                         hint="a systemd unit or init script name: letters, digits, "
                              "'_', '@', ':', '.', '-', not starting with '-'")
    return name


def check_container(name: str) -> str:
    if not CONTAINER_RE.match(name or ""):
        raise UsageError(f"bad container name {name[:80]!r}")
    return name


def probe_argv(name: str) -> List[str]:
    """Remote argv that reports the guest's service manager (see parse_probe)."""
    return ["sh", "-c", _PROBE, "lago-service", check_name(name)]


def parse_probe(text: str) -> Dict[str, str]:
    facts = {}
    for line in text.splitlines():
        key, sep, value = line.strip().partition("=")
        if sep:
            facts[key] = value
    return facts


def manager(facts: Dict[str, str], container: Optional[str] = None) -> str:
    """'container', 'systemd', 'sysv' or 'none', from the probe's facts."""
    if container:
        if not facts.get("runtime"):
            raise UsageError(f"container '{container}' named, but the guest has neither "
                             "podman nor docker")
        return "container"
    init = facts.get("init", "none")
    return init if init in ("systemd", "sysv") else "none"


def _systemctl(facts: Dict[str, str], container: Optional[str]) -> List[str]:
    if container:
        return [facts["runtime"], "exec", check_container(container), "systemctl"]
    return ["systemctl"]


def status_argv(kind: str, name: str, facts: Dict[str, str],
                container: Optional[str] = None) -> List[str]:
    """Remote argv whose output and exit code parse_status reads."""
    check_name(name)
    if kind in ("systemd", "container"):
        return _systemctl(facts, container) + ["show", "--property=LoadState,ActiveState",
                                               "--", name]
    if kind == "sysv":
        return ["service", name, "status"]
    raise ValueError(f"no status command for manager {kind!r}")


def parse_status(kind: str, returncode: int, stdout: str, facts: Dict[str, str]) -> str:
    """missing / inactive / active from the status command's result."""
    if kind in ("systemd", "container"):
        props = parse_probe(stdout)
        if returncode != 0 or "LoadState" not in props:
            raise ExternalError(f"systemctl show gave no unit state (exit {returncode}): "
                                f"{stdout.strip()[-200:] or 'no output'}")
        if props["LoadState"] == "not-found":
            return MISSING
        # 'reloading' is an active unit re-reading its configuration.
        return ACTIVE if props.get("ActiveState") in ("active", "reloading") else INACTIVE
    if kind == "sysv":
        if not facts.get("sysv_script"):
            return MISSING
        # LSB: 0 running; 1-3 dead or not running; 4 unknown. Only 0 counts as active.
        return ACTIVE if returncode == 0 else INACTIVE
    return MISSING


def action_argv(kind: str, action: str, name: str, facts: Dict[str, str],
                container: Optional[str] = None) -> List[str]:
    """Remote argv that starts or stops the service."""
    check_name(name)
    if action not in ("start", "stop"):
        raise ValueError(f"action must be start or stop, not {action!r}")
    if kind in ("systemd", "container"):
        return _systemctl(facts, container) + [action, "--", name]
    if kind == "sysv":
        return ["service", name, action]
    raise ValueError(f"no {action} command for manager {kind!r}")
