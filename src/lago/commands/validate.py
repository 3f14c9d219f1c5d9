"""validate ENVFILE: check the env file without touching the host."""
from __future__ import annotations

import argparse

from ..prefix import Prefix
from .base import Command, Context


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("envfile")


def run(ctx: Context, args: argparse.Namespace) -> int:
    model = Prefix.validate(args.envfile, ctx.workdir, ctx.prefix, ctx.cfg)
    if ctx.json:
        ctx.out_json({"valid": True, "warnings": model.warnings,
                      "env": model.to_dict(secrets=False)})
    else:
        ctx.out(f"{args.envfile}: valid ({len(model.domains)} VMs, {len(model.nets)} nets)")
    return 0


COMMANDS = [Command("validate", add_arguments, run)]
