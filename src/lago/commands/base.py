"""What every command gets: the effective config, the workdir, output helpers."""
from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from typing import Any, Callable, Dict, Tuple

from ..config import Config
from ..paths import WorkdirPaths


def env_creation_arguments(p: argparse.ArgumentParser) -> None:
    """The options of the verbs that create an env (init, up): ENVFILE and how to make it."""
    p.add_argument("envfile", help="the env file (YAML or JSON)")
    p.add_argument("--ssh-key", metavar="PATH",
                   help="use this private key (no passphrase) instead of a new key pair, "
                        "for images that already trust it")
    p.add_argument("--skip-bootstrap", action="store_true",
                   help="do not provision the VMs (no sysprep/cloud-init): use the images as "
                        "they are, like 'provision: none'")


@dataclass
class Context:
    cfg: Config
    origin: Dict[str, str]
    workdir: WorkdirPaths
    prefix: str
    json: bool

    def out(self, text: str = "") -> None:
        sys.stdout.write(text + "\n")

    def out_json(self, data: Any) -> None:
        sys.stdout.write(json.dumps(data, indent=2, sort_keys=True) + "\n")

    def report(self, data: Any, text: str) -> int:
        """A verb's result: ``data`` with --json, else one line of ``text``; exit 0."""
        if self.json:
            self.out_json(data)
        else:
            self.out(text)
        return 0


@dataclass(frozen=True)
class Command:
    """One verb: its name, argument set-up and the function that runs it (its help line is
    in cli.TABLE, which the top-level help reads without importing the verb's module)."""

    name: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[Context, argparse.Namespace], int]
    aliases: Tuple[str, ...] = ()


def no_arguments(p: argparse.ArgumentParser) -> None:
    """For verbs that take nothing but the global options."""
