"""deploy: run each VM's metadata.deploy-scripts over ssh."""
from __future__ import annotations

import argparse

from ..prefix import Prefix
from .base import Command, Context


def _args(p: argparse.ArgumentParser) -> None:
    p.add_argument("vms", nargs="*", metavar="VM", help="VMs (default: all)")


def _deploy(ctx: Context, args: argparse.Namespace) -> int:
    result = Prefix.of(ctx.cfg, ctx.workdir, ctx.prefix).deploy(args.vms)
    if ctx.json:
        ctx.out_json(result)
    else:
        for vm, done in result.items():
            ctx.out(f"{vm}: {len(done)} script(s) ok")
    return 0


COMMANDS = [Command("deploy", _args, _deploy)]
