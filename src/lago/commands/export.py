"""export --output DIR [--standalone | --bundle]: stopped VMs' disks plus an env file init
accepts."""
from __future__ import annotations

import argparse

from ..paths import EXPORT_ENV_FILE
from ..prefix import Prefix
from .base import Command, Context


def _args(p: argparse.ArgumentParser) -> None:
    p.add_argument("-o", "--output", "--dst-dir", dest="output", required=True, metavar="DIR",
                   help="an empty directory")
    p.add_argument("--vm-names", nargs="+", metavar="VM", help="only these VMs (default: all)")
    p.add_argument("--compress", action="store_true", help="compressed qcow2 disks")
    p.add_argument("--init-file-name", default=EXPORT_ENV_FILE, metavar="NAME",
                   help=f"the env file's name in DIR (default {EXPORT_ENV_FILE})")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--standalone", action="store_true",
                   help="flatten each disk (default: an overlay on its template)")
    g.add_argument("--bundle", action="store_true",
                   help="also carry the templates, kernels and env.lock: DIR alone comes up "
                        "on another host")


def _export(ctx: Context, args: argparse.Namespace) -> int:
    result = Prefix.of(ctx.cfg, ctx.workdir, ctx.prefix).export(
        args.output, args.standalone, args.bundle, vms=args.vm_names, compress=args.compress,
        env_name=args.init_file_name)
    if ctx.json:
        ctx.out_json(result)
    else:
        for file, digest in result["disks"].items():
            ctx.out(f"{digest}  {file}")
        ctx.out(f"env file: {result['env_file']} (lago.pyz init {result['env_file']})")
    return 0


COMMANDS = [Command("export", _args, _export)]
