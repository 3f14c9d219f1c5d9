"""service VM NAME start|stop|status: a service inside a guest (systemd, SysV, or a systemd
unit inside a container on the guest)."""
from __future__ import annotations

import argparse

from .. import services
from ..prefix import Prefix
from .base import Command, Context


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("vm", help="VM name (or a unique suffix of it)")
    p.add_argument("name", help="the service (systemd unit or init script name)")
    p.add_argument("action", choices=services.ACTIONS, help="status, start or stop")
    p.add_argument("--container", metavar="NAME",
                   help="the unit runs inside this podman/docker container on the VM")


def run(ctx: Context, args: argparse.Namespace) -> int:
    if args.container is not None:
        services.check_container(args.container)
    result = Prefix.of(ctx.cfg, ctx.workdir, ctx.prefix).service(args.vm, args.name,
                                                                 args.action, args.container)
    if ctx.json:
        ctx.out_json(result)
    else:
        ctx.out(f"{result['vm']}: {result['service']} is {result['state']} "
                f"({result['manager']})")
    return 0


COMMANDS = [Command("service", add_arguments, run)]
