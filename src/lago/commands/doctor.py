"""doctor [--fix]: what lago left on the host that no live environment owns."""
from __future__ import annotations

import argparse

from .. import doctor
from .base import Command, Context


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--fix", action="store_true", help="remove what was found")


def run(ctx: Context, args: argparse.Namespace) -> int:
    report = doctor.run(ctx.cfg.libvirt_url, ctx.cfg.lease_dir, fix=args.fix)
    if ctx.json:
        ctx.out_json(report.to_dict())
    else:
        for busy in report.busy:
            ctx.out(f"busy     {busy['prefix']}  (locked by {busy['holder'] or 'a lago process'};"
                    " left alone)")
        for f in report.findings:
            if not args.fix:
                state = f"would {f.action}"
            elif f.done:
                state = "removed" if f.kind != "lease" else "released"
            else:
                state = f"FAILED: {f.error}"
            owner = f" [{f.owner}]" if f.owner and f.kind != "prefix" else ""
            ctx.out(f"{f.kind:<8} {f.name}{owner}: {f.reason} -> {state}")
        if not report.findings:
            ctx.out("nothing found: every lago object on this host belongs to a live environment")
        elif not args.fix:
            ctx.out(f"{len(report.findings)} found; run 'lago.pyz doctor --fix' to remove them")
    # Exit 1 while anything found is still on the host, so scripts can tell.
    return 0 if report.clean else 1


COMMANDS = [Command("doctor", add_arguments, run)]
