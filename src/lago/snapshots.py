"""Whole-env snapshots (SPEC §8): every disk of every VM at one consistent point.

libvirt *internal* snapshots are used because libvirt 9.0 cannot revert external ones. A
running VM's snapshot holds its memory too, so it comes back exactly where it was; a stopped
VM's snapshot holds its disks. Consistency across the env: every running VM is paused before
the first snapshot is taken and resumed after the last, and on revert every VM is brought back
paused and the running ones are resumed together.

The snapshots are recorded in state.json under ``"snapshots"``::

    {NAME: {"created": ISO-8601 UTC, "vms": {VM: "running" | "paused" | "shut off"}}}

in creation order; libvirt keeps the snapshot data itself (in each qcow2 and its metadata).
"""
from __future__ import annotations

import datetime
import re
import threading
import time
from typing import TYPE_CHECKING, Any, Dict, List

from . import networks, parallel, state, virsh
from .errors import ExternalError, NotFound, UsageError
from .log import logger, step
from .undo import Undo

if TYPE_CHECKING:
    from .prefix import Prefix

LOG = logger("lago")
# Letters, digits, '.', '_', '-'; starts with a letter or digit: safe as a libvirt snapshot
# name, a file name and a command-line word.
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
OFF = "shut off"


def validate_name(name: str) -> str:
    if not NAME_RE.match(name):
        raise UsageError(f"bad snapshot name '{name}'",
                         hint="use 1-64 letters, digits, '.', '_' or '-', starting with a "
                              "letter or digit")
    return name


def recorded(prefix: Prefix) -> Dict[str, Dict[str, Any]]:
    """The env's snapshots, oldest first."""
    st = prefix.state
    if st.snapshots is None:
        st.snapshots = {}
    return st.snapshots


def listing(prefix: Prefix) -> List[Dict[str, Any]]:
    """[{"name", "created", "vms": {vm: state at the snapshot}}] oldest first."""
    return [{"name": n, **s} for n, s in recorded(prefix).items()]


def _vm_states(prefix: Prefix) -> Dict[str, str]:
    """Every VM's libvirt state; each VM must be defined (its snapshots live in libvirt)."""
    doms = virsh.domains(prefix.uri)
    out = {}
    for vm, info in prefix.libvirt_vms().items():
        lv_state = doms.get(str(info.libvirt_name))
        if lv_state is None:
            raise NotFound(f"VM {vm} is not defined in libvirt",
                           hint="run 'lago.pyz start' to define it again")
        out[vm] = lv_state
    return out


def _check_disks(prefix: Prefix) -> None:
    for vm, info in prefix.libvirt_vms().items():
        for disk in info.disks:
            if disk.format != "qcow2":
                raise UsageError(f"VM {vm}: disk {disk.name} is {disk.format}; internal "
                                 "snapshots need qcow2 disks")


def create(prefix: Prefix, name: str) -> Dict[str, Any]:
    """Snapshot the whole env: pause the running VMs, snapshot every VM, resume them."""
    validate_name(name)
    if name in recorded(prefix):
        raise UsageError(f"snapshot '{name}' already exists",
                         hint=f"delete it first: lago.pyz snapshot --delete {name}")
    _check_disks(prefix)
    states = _vm_states(prefix)
    lv = {vm: str(info.libvirt_name) for vm, info in prefix.libvirt_vms().items()}
    t0 = time.monotonic()
    paused: List[str] = []
    made: List[str] = []
    lock = threading.Lock()

    def snap(vm: str) -> None:
        with step("Snapshot %s", vm):
            virsh.snapshot_create(prefix.uri, lv[vm], name)
        with lock:
            made.append(vm)
    try:
        with step("Pause running VMs"):
            def pause(vm: str) -> None:
                virsh.suspend(prefix.uri, lv[vm])
                with lock:
                    paused.append(vm)
            parallel.each([vm for vm, st in states.items() if st == "running"], pause)
        parallel.each(list(states), snap)
    except BaseException:
        # All or nothing: a snapshot missing on one VM would make the env's snapshot a lie.
        for vm in made:
            _quietly(f"delete snapshot {name} of {vm}",
                     lambda vm=vm: virsh.snapshot_delete(prefix.uri, lv[vm], name))
        raise
    finally:
        with step("Resume VMs"):
            parallel.each(paused, lambda vm: _quietly(
                f"resume {vm}", lambda: virsh.resume(prefix.uri, lv[vm])))
    entry = {"created": datetime.datetime.now(datetime.timezone.utc)
             .isoformat(timespec="seconds"), "vms": states}
    recorded(prefix)[name] = entry
    state.save(prefix.files, prefix.state)
    return {"name": name, **entry, "seconds": round(time.monotonic() - t0, 2)}


def revert(prefix: Prefix, name: str, undo: Undo) -> Dict[str, Any]:
    """Bring every VM back to snapshot ``name``, each in the run state it had then."""
    snap = _get(prefix, name)
    now = _vm_states(prefix)
    lv = {vm: str(info.libvirt_name) for vm, info in prefix.libvirt_vms().items()}
    missing = [vm for vm in now if vm not in snap["vms"]]
    if missing:
        raise ExternalError(f"snapshot '{name}' has no data for {', '.join(missing)}")
    live = [vm for vm, st in snap["vms"].items() if st != OFF]
    t0 = time.monotonic()
    if live:
        # A VM coming back running needs its networks; they go down when the last VM stops.
        networks.ensure_all(prefix, undo)

    def back(vm: str) -> None:
        with step("Revert %s to %s", vm, name):
            if snap["vms"][vm] == OFF and now[vm] != OFF:
                virsh.destroy(prefix.uri, lv[vm])
            virsh.snapshot_revert(prefix.uri, lv[vm], name, paused=vm in live)
    parallel.each(list(snap["vms"]), back)
    # The guests no longer know the ssh connections made after the snapshot.
    prefix._close_masters()
    with step("Resume VMs"):
        parallel.each([vm for vm in live if snap["vms"][vm] == "running"],
                      lambda vm: virsh.resume(prefix.uri, lv[vm]))
    if not live:
        prefix._power_off(None)  # nothing runs: take the networks down, as 'stop' does
    return {"name": name, "vms": snap["vms"], "seconds": round(time.monotonic() - t0, 2)}


def delete(prefix: Prefix, name: str) -> Dict[str, Any]:
    """Remove snapshot ``name`` from every VM (and its data from the disks)."""
    _get(prefix, name)
    lv = {vm: str(info.libvirt_name) for vm, info in prefix.libvirt_vms().items()}
    parallel.each(list(lv), lambda vm: virsh.snapshot_delete(prefix.uri, lv[vm], name))
    del recorded(prefix)[name]
    state.save(prefix.files, prefix.state)
    return {"deleted": name}


def _get(prefix: Prefix, name: str) -> Dict[str, Any]:
    validate_name(name)
    snaps = recorded(prefix)
    if name not in snaps:
        raise NotFound(f"no snapshot '{name}' in environment '{prefix.files.name}'",
                       hint=f"snapshots: {', '.join(snaps) or 'none'}")
    return snaps[name]


def _quietly(what: str, action: Any) -> None:
    """Clean-up after a failure: log and go on, the original error is what matters."""
    try:
        action()
    except Exception as exc:
        LOG.warning("could not %s: %s", what, exc)
