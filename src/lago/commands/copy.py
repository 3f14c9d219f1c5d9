"""copy-to VM SRC DST, copy-from VM SRC DST: files and directories, recursively, modes kept."""
from __future__ import annotations

import argparse

from ..prefix import Prefix
from .base import Command, Context


def _args(p: argparse.ArgumentParser) -> None:
    p.add_argument("vm", help="VM name (or a unique suffix of it)")
    p.add_argument("src", help="file or directory to copy")
    p.add_argument("dst", help="destination (an existing directory receives SRC inside it)")


def _copy(ctx: Context, args: argparse.Namespace, fn) -> int:
    result = fn(Prefix.of(ctx.cfg, ctx.workdir, ctx.prefix), args.vm, args.src, args.dst)
    if ctx.json:
        ctx.out_json(result)
    return 0


COMMANDS = [
    Command("copy-to", _args, lambda ctx, args: _copy(ctx, args, Prefix.copy_to),
            aliases=("copy-to-vm",)),
    Command("copy-from", _args, lambda ctx, args: _copy(ctx, args, Prefix.copy_from),
            aliases=("copy-from-vm",)),
]
