"""console VM [--wait TEXT]: the VM's serial console, or wait until TEXT shows on it."""
from __future__ import annotations

import argparse
import sys

from .. import runner
from ..prefix import Prefix
from .base import Command, Context


def _args(p: argparse.ArgumentParser) -> None:
    p.add_argument("vm", help="VM name (or a unique suffix of it)")
    p.add_argument("--wait", metavar="TEXT",
                   help="do not attach: wait until TEXT appears on the console (for scripts)")
    p.add_argument("--timeout", type=float, default=120.0,
                   help="seconds --wait waits (default 120); exit 1 after that")


def _console(ctx: Context, args: argparse.Namespace) -> int:
    prefix = Prefix.of(ctx.cfg, ctx.workdir, ctx.prefix)
    if args.wait is None:
        _, argv = prefix.console_argv(args.vm)
        sys.stdout.flush()
        runner.exec_replace(argv)  # the terminal is the console's until Ctrl-]
        return 1
    got = prefix.console_wait(args.vm, args.wait, args.timeout)
    if ctx.json:
        ctx.out_json({**got, "seconds": round(got["seconds"], 2)})
    else:
        ctx.out(f"{got['vm']}: '{args.wait}' after {got['seconds']:.1f} s")
    return 0


COMMANDS = [Command("console", _args, _console)]
