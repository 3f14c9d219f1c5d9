"""start, stop, shutdown, cleanup: the life of an existing environment."""
from __future__ import annotations

import argparse

from ..prefix import Prefix
from .base import Command, Context, no_arguments


def _vms(p: argparse.ArgumentParser) -> None:
    p.add_argument("vms", nargs="*", metavar="VM", help="VMs (default: all)")


def _start_args(p: argparse.ArgumentParser) -> None:
    _vms(p)
    p.add_argument("--no-wait", action="store_true", help="do not wait for ssh")


def _start(ctx: Context, args: argparse.Namespace) -> int:
    result = Prefix.of(ctx.cfg, ctx.workdir, ctx.prefix).start(args.vms, no_wait=args.no_wait)
    return ctx.report(result, f"started: {', '.join(result['started']) or 'nothing to start'}")


def _stop(ctx: Context, args: argparse.Namespace) -> int:
    stopped = Prefix.of(ctx.cfg, ctx.workdir, ctx.prefix).stop(args.vms)
    return ctx.report({"stopped": stopped}, f"stopped: {', '.join(stopped) or 'nothing running'}")


def _shutdown_args(p: argparse.ArgumentParser) -> None:
    _vms(p)
    p.add_argument("--reboot", action="store_true", help="reboot instead of powering off")
    p.add_argument("--timeout", type=float, default=60.0,
                   help="seconds before a VM is forced off (default 60)")


def _shutdown(ctx: Context, args: argparse.Namespace) -> int:
    done = Prefix.of(ctx.cfg, ctx.workdir, ctx.prefix).shutdown(args.vms, args.reboot,
                                                            args.timeout)
    verb = "rebooted" if args.reboot else "shut down"
    return ctx.report({verb.replace(" ", "_"): done}, f"{verb}: {', '.join(done) or 'none'}")


def _cleanup(ctx: Context, args: argparse.Namespace) -> int:
    Prefix.of(ctx.cfg, ctx.workdir, ctx.prefix).remove_libvirt_objects()
    return ctx.report({"cleaned": True},
                      "VMs and networks removed from libvirt; the prefix is kept ('start' "
                      "brings them back)")


COMMANDS = [
    Command("start", _start_args, _start),
    Command("stop", _vms, _stop),
    Command("shutdown", _shutdown_args, _shutdown),
    Command("cleanup", no_arguments, _cleanup),
]
