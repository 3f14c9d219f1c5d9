"""ansible-inventory (ansible_hosts), ssh-config, hosts: the env as other tools read it."""
from __future__ import annotations

import argparse
import os
from typing import Callable, Dict

from .. import env, exports
from ..fsutil import write_atomic
from .base import Command, Context, no_arguments


def _show(fn: Callable[[Dict], str]) -> Callable[[Context, argparse.Namespace], int]:
    def run(ctx: Context, args: argparse.Namespace) -> int:
        prefix = env.load(ctx.cfg, ctx.workdir, ctx.prefix)
        text = fn(exports.facts(prefix))
        # The ssh_config's ControlPath is in this directory; ssh cannot make it itself.
        os.makedirs(prefix.paths.ssh_control_dir, mode=0o700, exist_ok=True)
        if getattr(args, "write", False):
            # A file in the prefix, so `ssh -F "$(lago.pyz ssh-config --write)" VM` works.
            path = os.path.join(prefix.paths.root, "ssh_config")
            write_atomic(path, text)
            ctx.out(path)
        else:
            ctx.out(text.rstrip("\n"))
        return 0
    return run


def _ssh_config_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--write", action="store_true",
                   help="write it to PREFIX/ssh_config and print that path")


COMMANDS = [
    Command("ansible-inventory", no_arguments, _show(exports.ansible_inventory),
            aliases=("ansible_hosts",)),
    Command("ssh-config", _ssh_config_args, _show(exports.ssh_config)),
    Command("hosts", no_arguments, _show(exports.hosts)),
]
