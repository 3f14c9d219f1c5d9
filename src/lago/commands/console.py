"""console VM [--wait TEXT]: the VM's serial console, or wait until TEXT shows on it."""
from __future__ import annotations

import argparse
import sys

from .. import console, env, runner, virsh
from ..errors import UsageError
from .base import Command, Context


def _args(p: argparse.ArgumentParser) -> None:
    p.add_argument("vm", help="VM name (or a unique suffix of it)")
    p.add_argument("--wait", metavar="TEXT",
                   help="do not attach: wait until TEXT appears on the console (for scripts)")
    p.add_argument("--timeout", type=float, default=120.0,
                   help="seconds --wait waits (default 120); exit 1 after that")


def _console(ctx: Context, args: argparse.Namespace) -> int:
    prefix = env.load(ctx.cfg, ctx.workdir, ctx.prefix)
    vm = prefix.resolve_vm(args.vm)
    lv = prefix.state.vms[vm].libvirt_name
    if lv is None:
        raise UsageError(f"{vm} is an existing machine (vm-provider ssh): it has no console "
                         "here", hint=f"lago.pyz ssh {vm}")
    if virsh.domains(prefix.uri).get(lv) != "running":
        raise UsageError(f"VM {vm} is not running", hint="start it: lago.pyz start " + vm)
    argv = virsh.console_argv(prefix.uri, lv)
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
