"""ssh VM [-- CMD…] / -s SCRIPT: an interactive shell, a command or a local script, with the
remote exit code."""
from __future__ import annotations

import argparse
import sys
from typing import List, Optional, Tuple

from .. import runner, session, workdir
from ..errors import UsageError
from .base import Command, Context


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("vm", help="VM name (or a unique suffix of it)")
    p.add_argument("-s", "--script", metavar="SCRIPT",
                   help="run this local script in the VM (arguments after --)")
    p.add_argument("command", nargs=argparse.REMAINDER, help="-- CMD [ARG…]")


def split_command(script: Optional[str], words: List[str]) -> Tuple[Optional[str], List[str]]:
    """(script, command words). argparse's REMAINDER after VM also swallows a following
    ``-s SCRIPT``, so it is taken out here; a leading ``--`` is dropped."""
    if script is None and words[:1] in (["-s"], ["--script"]):
        if len(words) < 2:
            raise UsageError("-s needs a SCRIPT")
        script, words = words[1], words[2:]
    elif script is None and words and words[0].startswith("--script="):
        script, words = words[0].split("=", 1)[1], words[1:]
    if words[:1] == ["--"]:
        words = words[1:]
    return script, words


def run(ctx: Context, args: argparse.Namespace) -> int:
    script, command = split_command(args.script, list(args.command))
    tty = not command and not script and sys.stdin.isatty()
    # session's own path, not lago.Prefix's: a loop of `ssh VM -- CMD` pays for no module
    # that makes envs (Prefix.ssh_session is the same argv).
    argv, cwd = session.open_session(ctx.cfg.libvirt_url, workdir.existing(ctx.workdir, ctx.prefix),
                                     args.vm, command, script, tty)
    sys.stdout.flush()
    sys.stderr.flush()
    # Hand the terminal (and the exit code) straight to ssh.
    runner.exec_replace(argv, cwd=cwd, stdin_path=script or None)
    return 255  # only reached if exec failed without raising


COMMANDS = [Command("ssh", add_arguments, run, aliases=("shell",))]
