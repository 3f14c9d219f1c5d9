"""status: the env's nets and VMs, as text or --json."""
from __future__ import annotations

import argparse
from typing import Any, Dict, List

from .. import envstatus
from .base import Command, Context


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--show-secrets", action="store_true",
                   help="include each VM's root and ssh passwords (hidden by default)")


def render(data: Dict[str, Any]) -> List[str]:
    """The human view of status data (golden-tested)."""
    lines = [f"prefix  {data['prefix']}  ({data['path']})",
             f"uuid    {data['uuid']}  domain type {data['domain_type']}",
             "", "NET", f"  {'name':<16} {'type':<9} {'subnet':<18} {'gw':<15} {'state':<5} "
                        "libvirt network"]
    for name, n in data["nets"].items():
        # The libvirt name: a long net name is shortened there (with a hash).
        lines.append(f"  {name:<16} {n['type']:<9} {n['subnet']:<18} {n['gw']:<15} "
                     f"{n['state']:<5} {n['libvirt_name']}")
    lines += ["", "VM", f"  {'name':<16} {'state':<10} {'ip':<15} nics"]
    for name, vm in data["vms"].items():
        nics = ", ".join(f"{n['dev']}={n['net']}/{n['ip']}" for n in vm["nics"])
        lines.append(f"  {name:<16} {vm['state']:<10} {vm['ip']:<15} {nics}")
    snaps = data.get("snapshots", [])
    if snaps:
        lines += ["", "SNAPSHOT", f"  {'name':<16} created"]
        lines += [f"  {s['name']:<16} {s['created']}" for s in snaps]
    return lines


def run(ctx: Context, args: argparse.Namespace) -> int:
    data = envstatus.read(ctx.cfg.libvirt_url, ctx.workdir, ctx.prefix)
    if args.show_secrets:
        # Only on request: status output ends up in CI logs and bug reports.
        for vm, sec in envstatus.secrets(ctx.workdir, ctx.prefix).items():
            data["vms"][vm]["secrets"] = sec
    if not ctx.out_data(data):
        for line in render(data):
            ctx.out(line)
        for vm, info in data["vms"].items():
            if "secrets" in info:
                sec = info["secrets"]
                ctx.out(f"  {vm}: root password {sec['root_password'] or '-'}, ssh "
                        f"{sec['ssh_user']} / {sec['ssh_password'] or '-'}")
    return 0


COMMANDS = [Command("status", add_arguments, run)]
