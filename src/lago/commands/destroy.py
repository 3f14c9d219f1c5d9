"""destroy [-y]: stop, remove every libvirt object, release leases, delete the prefix."""
from __future__ import annotations

import argparse
import sys

from .. import ops
from ..errors import UsageError
from .base import Command, Context


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("-y", "--yes", action="store_true", help="do not ask for confirmation")


def run(ctx: Context, args: argparse.Namespace) -> int:
    if not args.yes:
        if not sys.stdin.isatty():
            raise UsageError("destroy needs -y/--yes when not run from a terminal")
        name = ctx.prefix or "the current environment"
        answer = input(f"Destroy {name} in {ctx.workdir.root}? [y/N] ")
        if answer.strip().lower() not in ("y", "yes"):
            return 0
    gone = ops.destroy(ctx.cfg, ctx.workdir, ctx.prefix)
    if ctx.json:
        ctx.out_json({"destroyed": gone})
    else:
        ctx.out(f"environment '{gone}' destroyed")
    return 0


COMMANDS = [Command("destroy", add_arguments, run)]
