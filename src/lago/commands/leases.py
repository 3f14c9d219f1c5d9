"""leases [--prune] [--release SUBNET]: the host-wide lease table."""
from __future__ import annotations

import argparse
import ipaddress

from .. import leases
from ..errors import UsageError
from .base import Command, Context


def _args(p: argparse.ArgumentParser) -> None:
    g = p.add_mutually_exclusive_group()
    g.add_argument("--prune", action="store_true", help="remove stale leases")
    g.add_argument("--release", metavar="SUBNET", help="remove the lease of SUBNET")


def _leases(ctx: Context, args: argparse.Namespace) -> int:
    lease_dir = ctx.cfg.lease_dir
    if args.prune:
        gone = leases.prune(lease_dir)
        return _done(ctx, gone, "pruned")
    if args.release:
        try:
            subnet = ipaddress.IPv4Network(args.release if "/" in args.release
                                           else f"{args.release}/24", strict=False)
        except ValueError:
            raise UsageError(f"'{args.release}' is not a subnet like 192.168.200.0/24") from None
        gone = leases.release_subnet(lease_dir, subnet)
        if not gone:
            raise UsageError(f"no lease for {subnet} in {lease_dir}")
        return _done(ctx, gone, "released")
    table = leases.list_leases(lease_dir)
    if ctx.json:
        ctx.out_json({"lease_dir": lease_dir, "pool": ctx.cfg.subnet_pool,
                      "leases": [l.to_dict() for l in table]})
    else:
        ctx.out(f"{'subnet':<18} {'state':<6} prefix")
        for lease in table:
            ctx.out(f"{str(lease.subnet):<18} {'stale' if lease.stale else 'live':<6} "
                    f"{lease.prefix or '?'}")
    return 0


def _done(ctx: Context, subnets: list, verb: str) -> int:
    if ctx.json:
        ctx.out_json({verb: [str(s) for s in subnets]})
    else:
        ctx.out(f"{verb}: {', '.join(str(s) for s in subnets) or 'nothing'}")
    return 0


COMMANDS = [Command("leases", _args, _leases)]
