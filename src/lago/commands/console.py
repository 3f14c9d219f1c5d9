"""console VM [--wait TEXT]: the VM's serial console, or wait until TEXT shows on it."""
from __future__ import annotations

import argparse
import sys

from .. import console, runner
from ..prefix import Prefix
from .base import Command, Context


def _args(p: argparse.ArgumentParser) -> None:
    p.add_argument("vm", help="VM name (or a unique suffix of it)")
    p.add_argument("--wait", metavar="TEXT",
                   help="do not attach: wait until TEXT appears on the console (for scripts)")
    p.add_argument("--timeout", type=float, default=120.0,
                   help="seconds --wait waits (default 120); exit 1 after that")


def _console(ctx: Context, args: argparse.Namespace) -> int:
    vm, argv = Prefix.of(ctx.cfg, ctx.workdir, ctx.prefix).console_argv(args.vm)
    if args.wait is None:
        sys.stdout.flush()
        runner.exec_replace(argv)  # the terminal is the console's until Ctrl-]
        return 1
    seconds = console.wait_for(argv, args.wait, args.timeout, vm)
    if ctx.json:
        ctx.out_json({"vm": vm, "text": args.wait, "seconds": round(seconds, 2)})
    else:
        ctx.out(f"{vm}: '{args.wait}' after {seconds:.1f} s")
    return 0


COMMANDS = [Command("console", _args, _console)]
