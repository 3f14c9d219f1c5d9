"""ansible-inventory (ansible_hosts), ssh-config, hosts: the env as other tools read it."""
from __future__ import annotations

import argparse
import os
from typing import Callable, Dict

from .. import inventory
from ..fsutil import write_atomic
from ..prefix import Prefix
from .base import Command, Context, no_arguments


def _show(fn: Callable[[Dict, argparse.Namespace], str]
          ) -> Callable[[Context, argparse.Namespace], int]:
    def run(ctx: Context, args: argparse.Namespace) -> int:
        prefix = Prefix.of(ctx.cfg, ctx.workdir, ctx.prefix)
        facts = prefix.inventory_facts()
        text = fn(facts, args)
        # The ssh_config's ControlPath is in this directory; ssh cannot make it itself.
        os.makedirs(facts["control_dir"], mode=0o700, exist_ok=True)
        if getattr(args, "write", False):
            # A file in the prefix, so `ssh -F "$(lago.pyz ssh-config --write)" VM` works.
            path = os.path.join(prefix.paths.prefix(), "ssh_config")
            write_atomic(path, text)
            ctx.out(path)
        else:
            ctx.out(text.rstrip("\n"))
        return 0
    return run


def _ansible_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--keys", nargs="+", metavar="KEY",
                   help="also group by these keys of each VM's spec, as Lago did (e.g. "
                        "vm-type groups vm-provider, or a path like metadata/role)")


def _ssh_config_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--write", action="store_true",
                   help="write it to PREFIX/ssh_config and print that path")


COMMANDS = [
    Command("ansible-inventory", _ansible_args,
            _show(lambda f, a: inventory.ansible_inventory(f, a.keys)), aliases=("ansible_hosts",)),
    Command("ssh-config", _ssh_config_args, _show(lambda f, a: inventory.ssh_config(f))),
    Command("hosts", no_arguments, _show(lambda f, a: inventory.hosts(f))),
]
