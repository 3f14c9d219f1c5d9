"""snapshot NAME / --list / --delete NAME, revert NAME: whole-env snapshots (SPEC §8)."""
from __future__ import annotations

import argparse
from typing import Any, Dict, List

from ..prefix import Prefix
from ..errors import UsageError
from .base import Command, Context


def _snapshot_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("name", nargs="?", help="snapshot name (letters, digits, '.', '_', '-')")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--list", action="store_true", help="list the env's snapshots")
    g.add_argument("--delete", metavar="NAME", help="delete a snapshot")


def render_list(snaps: List[Dict[str, Any]]) -> List[str]:
    if not snaps:
        return ["no snapshots"]
    lines = [f"{'name':<20} {'created':<26} vms"]
    for s in snaps:
        vms = ", ".join(f"{vm}={st}" for vm, st in s["vms"].items())
        lines.append(f"{s['name']:<20} {s['created']:<26} {vms}")
    return lines


def _snapshot(ctx: Context, args: argparse.Namespace) -> int:
    if args.list:
        if args.name:
            raise UsageError("snapshot --list takes no name")
        snaps = Prefix.of(ctx.cfg, ctx.workdir, ctx.prefix).list_snapshots()
        if ctx.json:
            ctx.out_json(snaps)
        else:
            for line in render_list(snaps):
                ctx.out(line)
        return 0
    if args.delete:
        if args.name:
            raise UsageError("snapshot --delete takes one name")
        result = Prefix.of(ctx.cfg, ctx.workdir, ctx.prefix).delete_snapshot(args.delete)
        return ctx.report(result, f"snapshot '{args.delete}' deleted")
    if not args.name:
        raise UsageError("snapshot needs a NAME (or --list, --delete NAME)")
    result = Prefix.of(ctx.cfg, ctx.workdir, ctx.prefix).create_snapshots(args.name)
    return ctx.report(result, f"snapshot '{args.name}' of {len(result['vms'])} VM(s) "
                      f"taken in {result['seconds']:.2f} s")


def _revert_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("name", help="the snapshot to go back to")


def _revert(ctx: Context, args: argparse.Namespace) -> int:
    result = Prefix.of(ctx.cfg, ctx.workdir, ctx.prefix).revert_snapshots(args.name)
    return ctx.report(result, f"reverted to '{args.name}' in {result['seconds']:.2f} s")


COMMANDS = [
    Command("snapshot", _snapshot_args, _snapshot),
    Command("revert", _revert_args, _revert),
]
