"""config: the effective configuration and where each value came from."""
from __future__ import annotations

import argparse

from .. import config
from .base import Command, Context


def _args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--show-secrets", action="store_true", help="print passwords too")


def _config(ctx: Context, args: argparse.Namespace) -> int:
    values = config.as_dict(ctx.cfg, show_secrets=args.show_secrets)
    if ctx.json:
        ctx.out_json({k: {"value": v, "from": ctx.origin.get(k, "default")}
                      for k, v in values.items()})
    else:
        ctx.out("[lago]")
        for key, value in values.items():
            ctx.out(f"{key} = {value}    # {ctx.origin.get(key, 'default')}")
    return 0


COMMANDS = [Command("config", _args, _config)]
