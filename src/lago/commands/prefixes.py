"""list, set-current: the prefixes of a workdir."""
from __future__ import annotations

import argparse
import os

from .. import workdir
from ..errors import NotFound
from .base import Command, Context, no_arguments


def _list(ctx: Context, args: argparse.Namespace) -> int:
    names = workdir.list_prefixes(ctx.workdir)
    current = workdir.current_name(ctx.workdir)
    if ctx.json:
        ctx.out_json({"workdir": ctx.workdir.root, "current": current, "prefixes": names})
    else:
        for name in names:
            ctx.out(f"{'*' if name == current else ' '} {name}")
    return 0


def _set_current_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("name")


def _set_current(ctx: Context, args: argparse.Namespace) -> int:
    name = workdir.check_name(args.name)
    if not os.path.isdir(ctx.workdir.prefix(name).root):
        raise NotFound(f"no environment '{name}' in {ctx.workdir.root}",
                       hint=f"known: {', '.join(workdir.list_prefixes(ctx.workdir)) or 'none'}")
    workdir.set_current(ctx.workdir, name)
    return 0


COMMANDS = [
    Command("list", no_arguments, _list),
    Command("set-current", _set_current_args, _set_current),
]
