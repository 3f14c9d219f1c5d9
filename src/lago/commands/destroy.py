"""destroy [-y]: stop, remove every libvirt object, release leases, delete the prefix."""
from __future__ import annotations

import argparse
import sys

from .. import workdir
from ..errors import UsageError
from ..prefix import Prefix
from .base import Command, Context


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("-y", "--yes", action="store_true", help="do not ask for confirmation")
    p.add_argument("--all-prefixes", action="store_true",
                   help="destroy every environment of the workdir")


def run(ctx: Context, args: argparse.Namespace) -> int:
    if not args.yes:
        if not sys.stdin.isatty():
            raise UsageError("destroy needs -y/--yes when not run from a terminal")
        name = "every environment" if args.all_prefixes else \
            ctx.prefix or "the current environment"
        answer = input(f"Destroy {name} in {ctx.workdir.root}? [y/N] ")
        if answer.strip().lower() not in ("y", "yes"):
            return 0
    names = workdir.list_prefixes(ctx.workdir) if args.all_prefixes else [ctx.prefix]
    gone = [Prefix.of(ctx.cfg, ctx.workdir, name).destroy() for name in names]
    if ctx.json:
        ctx.out_json({"destroyed": gone[0] if not args.all_prefixes else gone})
    else:
        for name in gone:
            ctx.out(f"environment '{name}' destroyed")
    return 0


COMMANDS = [Command("destroy", add_arguments, run)]
