"""Command line: global options, the explicit command table, and main() → exit code.

main() is the one place that turns exceptions into messages and exit codes (SPEC §3).
"""
from __future__ import annotations

import argparse
import importlib
import logging
import os
import signal
import sys
from types import FrameType
from typing import List, Optional, Sequence

from . import config, events, log, workdir
from .commands.base import Command, Context
from .errors import EXIT_EXTERNAL, EXIT_INTERRUPTED, EXIT_USAGE, LagoError

LOG = logging.getLogger("lago")

# The registered command modules, in help order. No discovery: adding a verb means adding its
# module here and its name to VERBS.
MODULES = ("up", "lifecycle", "status", "ssh", "service", "console", "copy", "snapshot", "deploy", "collect",
           "exports", "export", "destroy", "doctor", "validate", "prefixes", "leases",
           "config", "template", "completion")
# Verb (and alias) → the module that holds it. A run imports only its verb's module: importing
# every module (and the libraries behind them) from the zip costs more than most verbs' work.
VERBS = {"up": "up", "init": "up", "start": "lifecycle", "stop": "lifecycle",
         "shutdown": "lifecycle", "cleanup": "lifecycle", "status": "status", "ssh": "ssh",
         "shell": "ssh", "service": "service", "console": "console", "copy-to": "copy", "copy-from": "copy",
         "copy-to-vm": "copy", "copy-from-vm": "copy",
         "snapshot": "snapshot", "revert": "snapshot", "deploy": "deploy", "collect": "collect",
         "ansible-inventory": "exports", "ansible_hosts": "exports", "ssh-config": "exports",
         "hosts": "exports", "export": "export", "destroy": "destroy", "doctor": "doctor",
         "validate": "validate", "list": "prefixes", "set-current": "prefixes",
         "leases": "leases", "config": "config", "template": "template",
         "completion": "completion"}
# Global options that take a value (to find the verb in argv without parsing it all).
_VALUED = {"-w", "--workdir", "--workdir-path", "-P", "--prefix", "--prefix-name",
           "--prefix-path", "--connect", "--libvirt_url", "--ssh-user", "--lease_dir",
           "--lease-dir", "--out-format", "--domain-type", "--events"}


def commands(modules: Sequence[str] = MODULES) -> List[Command]:
    """The Command objects of ``modules`` (imported now), in help order."""
    out: List[Command] = []
    for name in modules:
        mod = importlib.import_module(f".commands.{name}", __package__)
        out.extend(mod.COMMANDS)
    return out


def modules_for(argv: Sequence[str]) -> Sequence[str]:
    """The command modules a parse of argv needs: the verb's own, none for --version, all
    when there is no verb we know (help, errors: argparse then says what is wrong)."""
    skip = False
    for arg in argv:
        if skip:
            skip = False
        elif arg == "--version":
            return ()
        elif arg in ("-h", "--help", "--"):
            return MODULES
        elif arg.startswith("-"):
            skip = arg in _VALUED
        else:
            return (VERBS[arg],) if arg in VERBS else MODULES
    return MODULES


def version() -> str:
    from . import __version__

    return __version__


def _global_options(parser: argparse.ArgumentParser, suppress: bool) -> None:
    """Options accepted before and after the verb (after: defaults suppressed)."""
    d = (lambda v: argparse.SUPPRESS) if suppress else (lambda v: v)
    g = parser.add_argument_group("global options")
    # Lago's own spellings are second names of the same options (its users' scripts use them).
    g.add_argument("-w", "--workdir", "--workdir-path", dest="workdir", default=d(None),
                   help="workdir (default: nearest .lago)")
    g.add_argument("-P", "--prefix", "--prefix-name", dest="prefix", default=d(None),
                   help="environment name (default: current)")
    g.add_argument("--prefix-path", default=d(None), metavar="DIR",
                   help="an environment's directory (sets both workdir and prefix, as Lago's)")
    g.add_argument("--connect", "--libvirt_url", dest="libvirt_url", default=d(None),
                   metavar="URI", help="libvirt URI (default qemu:///system)")
    g.add_argument("--ssh-user", dest="ssh_user", default=d(None), metavar="USER",
                   help="default ssh user of VMs that name none (config ssh_user)")
    g.add_argument("--lease_dir", "--lease-dir", dest="lease_dir", default=d(None),
                   metavar="DIR", help="the host-wide subnet lease directory")
    g.add_argument("--out-format", dest="out_format", default=d("default"),
                   choices=["default", "json", "yaml", "flat"],
                   help="json (= --json); yaml or flat for status (Lago's formats)")
    g.add_argument("--domain-type", dest="domain_type", default=d(None),
                   choices=["kvm", "qemu"], help="override KVM detection")
    g.add_argument("--events", default=d(None), metavar="FILE",
                   help="append a JSON line per phase of every VM to FILE")
    g.add_argument("--json", action="store_true", default=d(False),
                   help="machine output on stdout")
    g.add_argument("-q", "--quiet", action="store_true", default=d(False),
                   help="only warnings and errors")
    g.add_argument("-v", "--verbose", action="store_true", default=d(False),
                   help="log every command run")
    g.add_argument("--debug", action="store_true", default=d(False),
                   help="tracebacks on errors")


def build_parser(modules: Sequence[str] = MODULES) -> argparse.ArgumentParser:
    """The parser with the verbs of ``modules`` (all by default)."""
    parser = argparse.ArgumentParser(
        prog="lago.pyz",
        description="Throw-away multi-VM test environments on libvirt.",
        epilog="Exit codes: 0 ok, 1 an external step failed, 2 bad usage or input, "
               "130 interrupted; 'ssh VM -- CMD' returns CMD's code.")
    parser.add_argument("--version", action="version", version=f"lago.pyz {version()}")
    _global_options(parser, suppress=False)
    sub = parser.add_subparsers(dest="verb", metavar="COMMAND")
    for cmd in commands(modules):
        p = sub.add_parser(cmd.name, aliases=list(cmd.aliases), help=cmd.help,
                           description=cmd.help)
        cmd.add_arguments(p)
        _global_options(p, suppress=True)
        p.set_defaults(verb_command=cmd)
    return parser


class Terminated(BaseException):
    """SIGTERM/SIGHUP: unwind like Ctrl-C, so rollbacks run."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def _on_signal(signum: int, frame: Optional[FrameType]) -> None:
    raise Terminated(signum)


def main(argv: Optional[List[str]] = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = build_parser(modules_for(argv))
    args = parser.parse_args(argv)
    if args.verb is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    log.setup(verbosity=-1 if args.quiet else (1 if args.verbose else 0), debug=args.debug)
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _on_signal)
    try:
        if args.prefix_path:
            args.workdir, args.prefix = os.path.split(os.path.abspath(args.prefix_path))
        cfg, origin = config.load({"workdir": args.workdir, "libvirt_url": args.libvirt_url,
                                   "domain_type": args.domain_type, "events": args.events,
                                   "ssh_user": args.ssh_user, "lease_dir": args.lease_dir})
        if cfg.events:
            events.open_file(cfg.events)
        ctx = Context(cfg=cfg, origin=origin, workdir=workdir.find(cfg.workdir),
                      prefix=args.prefix or os.environ.get("LAGO_PREFIX", ""),
                      json=args.json or args.out_format == "json", out_format=args.out_format)
        return args.verb_command.run(ctx, args)
    except LagoError as exc:
        if args.debug:
            LOG.exception("traceback (--debug)")
        for line in exc.lines():
            sys.stderr.write(f"lago.pyz: {line}\n")
        return exc.exit_code
    except OSError as exc:
        # A host fault outside any tool (disk full, permission denied): one line, no traceback.
        if args.debug:
            LOG.exception("traceback (--debug)")
        where = f": {exc.filename}" if exc.filename else ""
        sys.stderr.write(f"lago.pyz: {exc.strerror or exc}{where}\n")
        return EXIT_EXTERNAL
    except KeyboardInterrupt:
        sys.stderr.write("lago.pyz: interrupted\n")
        return EXIT_INTERRUPTED
    except Terminated as exc:
        sys.stderr.write(f"lago.pyz: stopped by signal {exc.signum}\n")
        return 128 + exc.signum
    finally:
        events.close()


if __name__ == "__main__":
    sys.exit(main())
