"""collect --output DIR: fetch each VM's artifacts (running VMs over ssh, stopped from disk)."""
from __future__ import annotations

import argparse

from ..prefix import Prefix
from ..errors import ExternalError
from .base import Command, Context


def _args(p: argparse.ArgumentParser) -> None:
    p.add_argument("vms", nargs="*", metavar="VM", help="VMs (default: all)")
    p.add_argument("-o", "--output", required=True, metavar="DIR",
                   help="artifacts go to DIR/VM/<path in the guest>")
    p.add_argument("--no-skip", action="store_true",
                   help="an artifact missing in a VM is an error (exit 1), not a warning")


def _collect(ctx: Context, args: argparse.Namespace) -> int:
    result = Prefix.of(ctx.cfg, ctx.workdir, ctx.prefix).collect(args.output, args.vms)
    missing = [f"{vm}: {w}" for vm, r in result.items() for w in r["warnings"]]
    if args.no_skip and missing:
        raise ExternalError("some artifacts could not be collected (--no-skip):\n" +
                            "\n".join(missing))
    if ctx.json:
        ctx.out_json(result)
    else:
        for vm, r in result.items():
            note = f", {len(r['refused'])} refused" if r["refused"] else ""
            ctx.out(f"{vm}: {r['dir']} (from {r['from']}{note})")
    return 0


COMMANDS = [Command("collect", _args, _collect)]
