"""completion bash: a bash completion script for verbs, options and VM names."""
from __future__ import annotations

import argparse

from .. import completion
from .base import Command, Context


def _args(p: argparse.ArgumentParser) -> None:
    p.add_argument("shell", choices=["bash"], help="the shell (bash)")


def _completion(ctx: Context, args: argparse.Namespace) -> int:
    from .. import cli  # the parser is built there; imported late to avoid a cycle

    parser = cli.build_parser()
    ctx.out(completion.bash_script(completion.verbs_of(parser),
                                   completion.options_of(parser)).rstrip("\n"))
    return 0


COMMANDS = [Command("completion", _args, _completion)]
