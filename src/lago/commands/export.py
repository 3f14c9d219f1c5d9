"""export --output DIR [--standalone | --bundle]: stopped VMs' disks plus an env file init
accepts."""
from __future__ import annotations

import argparse

from .. import env, export
from .base import Command, Context


def _args(p: argparse.ArgumentParser) -> None:
    p.add_argument("-o", "--output", required=True, metavar="DIR", help="an empty directory")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--standalone", action="store_true",
                   help="flatten each disk (default: an overlay on its template)")
    g.add_argument("--bundle", action="store_true",
                   help="also carry the templates, kernels and env.lock: DIR alone comes up "
                        "on another host")


def _export(ctx: Context, args: argparse.Namespace) -> int:
    result = env.change(ctx.cfg, ctx.workdir, ctx.prefix,
                        lambda prefix, undo: export.export(prefix, args.output,
                                                           args.standalone, args.bundle))
    if ctx.json:
        ctx.out_json(result)
    else:
        for file, digest in result["disks"].items():
            ctx.out(f"{digest}  {file}")
        ctx.out(f"env file: {result['env_file']} (lago.pyz init {result['env_file']})")
    return 0


COMMANDS = [Command("export", _args, _export)]
