"""virsh: argv builders (pure) and thin calls through the runner.

XML goes to virsh on stdin (``/dev/stdin``) so nothing secret or stale is left in temp files.
"""
from __future__ import annotations

import re
import time
from typing import TYPE_CHECKING, Dict, List, Optional, Tuple

from . import runner
from .errors import ExternalError
from .log import logger

if TYPE_CHECKING:
    import ipaddress

# ipaddress and ElementTree are imported by the two parsers that need them: `status`, which
# lists domains and networks, starts without either.

LOG = logger("lago")

_NO_CONNECTION = "failed to connect to the hypervisor"
# libvirt's "not found" errors: expected while cleaning up objects that may not exist.
_NO_DOMAIN = ("failed to get domain", "Domain not found", "domain is not running",
              "no domain with matching name")
# libvirt 9.0 says "network 'NAME' is not active" when destroying a stopped network.
_NO_NETWORK = ("failed to get network", "Network not found", "network is not active",
               "is not active", "no network with matching name")


def argv(uri: str, *args: str) -> List[str]:
    return ["virsh", "-q", "-c", uri, *args]


def call(uri: str, *args: str, input: Optional[str] = None, timeout: float = 120) -> str:
    return _run(uri, *args, input=input, timeout=timeout).stdout


def _run(uri: str, *args: str, input: Optional[str] = None,
         timeout: float = 120) -> runner.Result:
    try:
        return runner.run(argv(uri, *args), input=input, timeout=timeout)
    except runner.CommandFailed as exc:
        if _NO_CONNECTION in exc.stderr.lower():
            # Not a failed step but no daemon at all: say so instead of virsh's last line.
            detail = exc.stderr.strip().splitlines()
            raise ExternalError(f"cannot connect to libvirt at {uri}: "
                                f"{detail[-1] if detail else 'no answer'}",
                                hint="is libvirtd running? check --connect / LAGO_LIBVIRT_URL"
                                ) from None
        raise


def version(uri: str) -> str:
    return call(uri, "version", timeout=30)


def net_start(uri: str, name: str) -> None:
    call(uri, "net-start", name)


# A name put into a virsh command string (virsh's own parser) must be one word of it.
_PLAIN_NAME = re.compile(r"^[A-Za-z0-9_.-]+$")


def net_define_start_command(name: str) -> str:
    """Define (from stdin) and start a network in one virsh run: a process start and a
    connection to libvirtd less on the way to the first boot. virsh runs both commands even
    if the first fails; its exit status is the second's, which then fails too (no network)."""
    if not _PLAIN_NAME.match(name):
        raise ValueError(f"not a plain libvirt name: {name!r}")
    return f"net-define /dev/stdin; net-start {name}"


def net_define_start(uri: str, xml: str, name: str) -> None:
    call(uri, net_define_start_command(name), input=xml)


def define(uri: str, xml: str) -> None:
    call(uri, "define", "/dev/stdin", input=xml)


def start(uri: str, name: str) -> None:
    call(uri, "start", name)


def destroy(uri: str, name: str) -> bool:
    """Hard power-off; False if the domain was not running or does not exist."""
    return _tolerant(uri, ("destroy", name), _NO_DOMAIN)


def undefine(uri: str, name: str) -> bool:
    return _tolerant(uri, ("undefine", name, "--snapshots-metadata", "--managed-save",
                           "--nvram"), _NO_DOMAIN)


def net_destroy(uri: str, name: str) -> bool:
    return _tolerant(uri, ("net-destroy", name), _NO_NETWORK)


def net_undefine(uri: str, name: str) -> bool:
    return _tolerant(uri, ("net-undefine", name), _NO_NETWORK)


# Errors after which the same call succeeds a moment later: a QEMU that takes longer to die
# than libvirt waits for it (on a loaded host, TCG guests with much memory to free), or another
# job on the domain holding its state-change lock.
_TRANSIENT = ("device or resource busy", "failed to terminate process",
              "cannot acquire state change lock", "timed out during operation")
RETRY_DELAYS = (1.0, 2.0, 4.0, 8.0)


def _tolerant(uri: str, args: tuple, missing: tuple) -> bool:
    """One cleanup call: False if the object is already gone or stopped (cleanup is
    idempotent); a transient refusal is retried a few times before it counts."""
    attempt = 0
    while True:
        try:
            call(uri, *args)
            return True
        except runner.CommandFailed as exc:
            if is_missing(exc.stderr, missing):
                return False
            transient = any(t in exc.stderr.lower() for t in _TRANSIENT)
            if attempt == len(RETRY_DELAYS) or not transient:
                raise
            delay = RETRY_DELAYS[attempt]
            attempt += 1
            LOG.info("virsh %s: %s; again in %g s", " ".join(args),
                     (exc.stderr.strip().splitlines() or ["?"])[-1], delay)
            time.sleep(delay)


def is_missing(stderr: str, missing: tuple) -> bool:
    """True if virsh's error says the object is already gone or already stopped."""
    return any(m.lower() in stderr.lower() for m in missing)


def parse_list(text: str) -> Dict[str, str]:
    """``virsh -q list --all`` → {name: state}. Lines are ' ID   NAME   STATE WORDS'."""
    out = {}
    for line in text.splitlines():
        parts = line.split(None, 2)
        if len(parts) == 3:
            out[parts[1]] = parts[2].strip()
    return out


def parse_net_list(text: str) -> Dict[str, bool]:
    """``virsh -q net-list --all`` → {name: active}. Lines are 'NAME STATE AUTOSTART PERSISTENT'."""
    out = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) >= 2:
            out[parts[0]] = parts[1] == "active"
    return out


def domains(uri: str) -> Dict[str, str]:
    """Every domain and its state, in one call."""
    return parse_list(call(uri, "list", "--all"))


def networks(uri: str) -> Dict[str, bool]:
    """Every network and whether it is active, in one call."""
    return parse_net_list(call(uri, "net-list", "--all"))


# Printed by virsh's own ``echo`` between the two listings of ``inventory``.
_SEPARATOR = "@@lago-inventory@@"


# One virsh run that lists domains and networks: a command string (virsh's own parser; fixed
# text, no names in it) saves a process start and a connection to libvirtd.
INVENTORY = f"list --all; echo {_SEPARATOR}; net-list --all"


def parse_inventory(text: str) -> Tuple[Dict[str, str], Dict[str, bool]]:
    """The output of ``INVENTORY`` → ({domain: state}, {network: active})."""
    doms, sep, nets = text.partition(_SEPARATOR)
    if not sep:
        raise ExternalError("virsh printed no network list", hint="run with --debug")
    return parse_list(doms), parse_net_list(nets)


def check_command_string(stderr: str) -> None:
    """virsh runs every command of a command string whatever the ones before did, and exits
    with the last one's status: an earlier failure shows only as its ``error:`` lines."""
    errors = [line for line in stderr.splitlines() if line.startswith("error:")]
    if errors:
        raise ExternalError(f"virsh: {errors[-1][len('error:'):].strip()}",
                            hint="run with --debug")


def inventory(uri: str) -> Tuple[Dict[str, str], Dict[str, bool]]:
    """Every domain with its state and every network with whether it is active, in one call."""
    res = _run(uri, INVENTORY)
    check_command_string(res.stderr)
    return parse_inventory(res.stdout)


def dumpxml(uri: str, name: str) -> Optional[str]:
    """A domain's XML, or None if it no longer exists."""
    return _tolerant_out(uri, ("dumpxml", name), _NO_DOMAIN)


def net_dumpxml(uri: str, name: str) -> Optional[str]:
    """A network's XML, or None if it no longer exists."""
    return _tolerant_out(uri, ("net-dumpxml", name), _NO_NETWORK)


def _tolerant_out(uri: str, args: tuple, missing: tuple) -> Optional[str]:
    try:
        return call(uri, *args, timeout=30)
    except runner.CommandFailed as exc:
        # Expected when the object vanished between listing and reading it.
        if any(m.lower() in exc.stderr.lower() for m in missing):
            return None
        raise


def shutdown(uri: str, name: str) -> bool:
    """Ask the guest to power off (ACPI); False if it was not running."""
    return _tolerant(uri, ("shutdown", name), _NO_DOMAIN)


def reboot(uri: str, name: str) -> None:
    call(uri, "reboot", name)


def parse_network_subnets(xml: str) -> List[ipaddress.IPv4Network]:
    """The IPv4 subnets a libvirt <network> XML claims (its <ip address netmask|prefix>)."""
    import ipaddress
    import xml.etree.ElementTree as ET
    out = []
    for ip in ET.fromstring(xml).iter("ip"):
        if ip.get("family", "ipv4") != "ipv4" or not ip.get("address"):
            continue
        mask = ip.get("netmask") or ip.get("prefix") or "24"
        out.append(ipaddress.IPv4Network(f"{ip.get('address')}/{mask}", strict=False))
    return out


def network_subnets(uri: str) -> List[ipaddress.IPv4Network]:
    """Subnets of every defined libvirt network, active or not (an inactive one has no route
    yet, but starting it later would clash with a lease handed out now)."""
    out: List[ipaddress.IPv4Network] = []
    for name in networks(uri):
        out += parse_network_subnets(call(uri, "net-dumpxml", name))
    return out

# -- pause / resume and internal snapshots -------------------------------------------------------

def suspend(uri: str, name: str) -> None:
    call(uri, "suspend", name)


def resume(uri: str, name: str) -> None:
    call(uri, "resume", name)


def snapshot_create_argv(uri: str, name: str, snapshot: str) -> List[str]:
    # Internal snapshot (no --disk-only): libvirt 9.0 can revert only internal ones. --atomic: a
    # failure leaves no half-made snapshot behind.
    return argv(uri, "snapshot-create-as", name, snapshot, "--atomic")


def snapshot_revert_argv(uri: str, name: str, snapshot: str, paused: bool = False) -> List[str]:
    # --paused: a running snapshot comes back paused, so every VM of the env can be resumed
    # together once all are reverted. --force: revert even where libvirt would want to
    # restart the QEMU process (e.g. the domain was stopped meanwhile).
    out = argv(uri, "snapshot-revert", name, snapshot, "--force")
    if paused:
        out.append("--paused")
    return out


def snapshot_delete_argv(uri: str, name: str, snapshot: str) -> List[str]:
    return argv(uri, "snapshot-delete", name, snapshot)


def snapshot_create(uri: str, name: str, snapshot: str) -> None:
    runner.run(snapshot_create_argv(uri, name, snapshot), timeout=600)


def snapshot_revert(uri: str, name: str, snapshot: str, paused: bool = False) -> None:
    runner.run(snapshot_revert_argv(uri, name, snapshot, paused), timeout=600)


def snapshot_delete(uri: str, name: str, snapshot: str) -> bool:
    """False if the domain or the snapshot does not exist (deleting is idempotent)."""
    try:
        runner.run(snapshot_delete_argv(uri, name, snapshot), timeout=600)
        return True
    except runner.CommandFailed as exc:
        if any(m.lower() in exc.stderr.lower()
               for m in _NO_DOMAIN + ("Domain snapshot not found", "no domain snapshot")):
            return False
        raise


def snapshot_names(uri: str, name: str) -> List[str]:
    """The domain's snapshot names (``snapshot-list --name``: one per line)."""
    return [line.strip() for line in call(uri, "snapshot-list", name, "--name").splitlines()
            if line.strip()]


def console_argv(uri: str, name: str) -> List[str]:
    # Not -q: the "Escape character is ^]" banner tells a script the console is attached.
    return ["virsh", "-c", uri, "console", name]


def domid(uri: str, name: str) -> Optional[str]:
    """The running domain's id (new on every start), '-' when it is off; None when libvirt
    has no such domain (an env made by init and never started)."""
    out = _tolerant_out(uri, ("domid", name), _NO_DOMAIN)
    return None if out is None else out.strip()


# -- what a running domain offers: VNC display, QEMU guest agent ----------------------------------

def parse_vnc_port(xml: str) -> Optional[int]:
    """The TCP port of a live domain XML's VNC display; None without one (or before libvirt
    has picked the port: autoport shows -1 until the domain runs)."""
    import xml.etree.ElementTree as ET
    for g in ET.fromstring(xml).iter("graphics"):
        if g.get("type") == "vnc" and g.get("port", "-1").isdigit():
            return int(g.get("port", "-1"))
    return None


AGENT_PING = '{"execute":"guest-ping"}'
# What virsh says when no agent answers: none configured, none listening in the guest yet,
# one that does not answer in time, or a domain that is not running.
_NO_AGENT = ("guest agent is not configured", "guest agent is not responding",
             "guest agent not available", "domain is not running", "agent is not connected")


def agent_ping_argv(uri: str, name: str, timeout: int = 5) -> List[str]:
    return argv(uri, "qemu-agent-command", name, AGENT_PING, "--timeout", str(timeout))


def agent_answers(uri: str, name: str, timeout: int = 5) -> bool:
    """True if the QEMU guest agent in the domain answers a guest-ping."""
    try:
        runner.run(agent_ping_argv(uri, name, timeout), timeout=timeout + 30)
        return True
    except runner.CommandFailed as exc:
        # Expected: an agent that is not there is an answer ("no"), not a failure.
        if is_missing(exc.stderr, _NO_AGENT):
            return False
        raise



def net_update_args(name: str, command: str, section: str, xml: str, live: bool) -> List[str]:
    """``virsh net-update`` of a defined network's section: its saved definition, and the
    running network too when ``live``."""
    return ["net-update", name, command, section, xml, "--config", *(["--live"] if live else [])]


def net_update(uri: str, name: str, command: str, section: str, xml: str, live: bool) -> None:
    _run(uri, *net_update_args(name, command, section, xml, live))
