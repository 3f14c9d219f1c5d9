"""What every command gets: the effective config, the workdir, output helpers."""
from __future__ import annotations

import argparse
import json
import sys
from typing import Any, Callable, Dict, List, NamedTuple, Tuple

from ..config import Config
from ..paths import WorkdirPaths


LAGO_INIT_FILE = "LagoInitFile"


def env_creation_arguments(p: argparse.ArgumentParser, lago_init: bool = False) -> None:
    """The options of the verbs that create an env (init, up): ENVFILE and how to make it.
    ``lago_init``: also Lago's init arguments (ENVFILE defaults to LagoInitFile, WORKDIR)."""
    if lago_init:
        p.add_argument("envfile", nargs="?", default=LAGO_INIT_FILE, metavar="ENVFILE",
                       help=f"the env file (YAML or JSON; default {LAGO_INIT_FILE})")
        p.add_argument("workdir_arg", nargs="?", metavar="WORKDIR",
                       help="the workdir to create it in (as -w)")
        p.add_argument("--template-repo-path", dest="template_repo", metavar="PATH_OR_URL",
                       help="the template repo index (config template_repo)")
        p.add_argument("--template-store", dest="template_store", metavar="DIR",
                       help="the template store (config template_store)")
        p.add_argument("--set-current", action="store_true",
                       help="make it the workdir's current environment")
        p.add_argument("--skip-build", action="store_true",
                       help="do not run the disks' build steps")
    else:
        p.add_argument("envfile", help="the env file (YAML or JSON)")
    p.add_argument("--ssh-key", metavar="PATH",
                   help="use this private key (no passphrase) instead of a new key pair, "
                        "for images that already trust it")
    p.add_argument("--skip-bootstrap", action="store_true",
                   help="do not provision the VMs (no sysprep/cloud-init): use the images as "
                        "they are, like 'provision: none'")


class Context:
    """A run's settings and output (a plain class: every verb makes one, and importing
    dataclasses costs more than a short verb's work)."""

    def __init__(self, cfg: Config, origin: Dict[str, str], workdir: WorkdirPaths, prefix: str,
                 json: bool, out_format: str = "default") -> None:
        self.cfg, self.origin, self.workdir, self.prefix = cfg, origin, workdir, prefix
        self.json = json
        self.out_format = out_format  # Lago's --out-format: default, json, yaml or flat

    def out(self, text: str = "") -> None:
        sys.stdout.write(text + "\n")

    def out_json(self, data: Any) -> None:
        sys.stdout.write(json.dumps(data, indent=2, sort_keys=True) + "\n")

    def out_data(self, data: Any) -> bool:
        """``data`` in the machine format asked for (json, yaml, flat); False when text is
        wanted instead."""
        if self.json:
            self.out_json(data)
        elif self.out_format == "yaml":
            from ..vendored import yaml
            sys.stdout.write(yaml().safe_dump(data, default_flow_style=False))
        elif self.out_format == "flat":
            for line in flat_lines(data):
                self.out(line)
        else:
            return False
        return True

    def report(self, data: Any, text: str) -> int:
        """A verb's result: ``data`` with --json, else one line of ``text``; exit 0."""
        if self.json:
            self.out_json(data)
        else:
            self.out(text)
        return 0


class Command(NamedTuple):
    """One verb: its name, argument set-up and the function that runs it (its help line is
    in cli.TABLE, which the top-level help reads without importing the verb's module)."""

    name: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[Context, argparse.Namespace], int]
    aliases: Tuple[str, ...] = ()


def flat_lines(data: Any, path: Tuple[str, ...] = ()) -> List[str]:
    """Lago's flat output: one line per leaf, its keys joined by '/', then ': value'
    (list items share their parent's path)."""
    if isinstance(data, dict):
        return [line for key in sorted(data, key=str) for line in
                flat_lines(data[key], path + (str(key),))]
    if isinstance(data, list):
        return [line for item in data for line in flat_lines(item, path)]
    return ["/".join(path) + f": {data}"]


def no_arguments(p: argparse.ArgumentParser) -> None:
    """For verbs that take nothing but the global options."""
