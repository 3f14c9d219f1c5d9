"""Command line: global options, the explicit verb table, and main() -> exit code.

main() is the one place that turns exceptions into messages and exit codes (SPEC §3). This
module imports little at the top: ``--help`` and ``--version`` need only argparse and the
verb table, and a verb's run imports its own command module and what that needs.
"""
from __future__ import annotations

import argparse
import importlib
import sys
from typing import TYPE_CHECKING, List, Optional, Sequence

from .errors import EXIT_EXTERNAL, EXIT_INTERRUPTED, EXIT_USAGE, LagoError

if TYPE_CHECKING:
    from types import FrameType

    from .commands.base import Command

# The verbs in help order: (verb, its command module, aliases, one-line help). No discovery:
# adding a verb means adding its row here (a unit test checks this table against the modules'
# COMMANDS). The top-level help and the verb lookup come from this table alone; a run imports
# only its verb's module, because importing every module (and the libraries behind them) from
# the zip costs more than most verbs' work.
TABLE = (
    ('up', 'up', (),
     'create (if needed) and start an environment, wait until its VMs answer ssh'),
    ('init', 'up', (),
     'create an environment (prefix, keys, leases, disks) without starting it'),
    ('start', 'lifecycle', (),
     'start networks, then VMs in parallel, and wait for ssh'),
    ('stop', 'lifecycle', (),
     'power VMs off at once (networks too when no VM is left running)'),
    ('shutdown', 'lifecycle', (),
     'shut VMs down gracefully (ACPI, then ssh poweroff, then forced)'),
    ('cleanup', 'lifecycle', (),
     "remove the env's VMs and networks from libvirt, keep the prefix"),
    ('status', 'status', (),
     "show the environment's networks and VMs"),
    ('ssh', 'ssh', ('shell',),
     "log in to a VM, or run a command or a local script in it (exit code = the command's)"),
    ('service', 'service', (),
     'ask for, start or stop a service inside a VM (systemd or SysV, found per guest)'),
    ('console', 'console', (),
     "attach to a VM's serial console (Ctrl-] leaves), or --wait TEXT on it"),
    ('copy-to', 'copy', ('copy-to-vm',),
     'copy a local file or directory into a VM (recursive, modes kept)'),
    ('copy-from', 'copy', ('copy-from-vm',),
     'copy a file or directory out of a VM (recursive, modes kept)'),
    ('snapshot', 'snapshot', (),
     'snapshot the whole env (running VMs are paused meanwhile); --list, --delete NAME'),
    ('revert', 'snapshot', (),
     'bring every VM back to a snapshot, in the run state it had then'),
    ('deploy', 'deploy', (),
     "run each VM's deploy-scripts over ssh (VMs in parallel, scripts in order)"),
    ('collect', 'collect', (),
     "copy each VM's artifacts to DIR/VM/... (running VMs over ssh, stopped VMs from their "
     "disks)"),
    ('ansible-inventory', 'inventory', ('ansible_hosts',),
     "an Ansible INI inventory of the env's VMs and groups"),
    ('ssh-config', 'inventory', (),
     "an ssh_config for 'ssh -F FILE VM'"),
    ('hosts', 'inventory', (),
     "/etc/hosts lines for the env's VMs"),
    ('export', 'export', (),
     "write stopped VMs' disks and a new env file to DIR"),
    ('destroy', 'destroy', (),
     'remove the environment: VMs, networks, leases, disks, the prefix directory'),
    ('doctor', 'doctor', (),
     'find libvirt domains and networks, bridges, leases and prefixes of lago that belong '
     'to no live environment; remove them with --fix'),
    ('validate', 'validate', (),
     'check an env file (exit 0, or 2 with every problem listed)'),
    ('list', 'prefixes', (),
     'list the environments of the workdir (* = current)'),
    ('set-current', 'prefixes', (),
     'make NAME the current environment'),
    ('leases', 'leases', (),
     'show the host-wide subnet leases; --prune, --release'),
    ('config', 'config', (),
     'print the effective configuration (INI, with sources)'),
    ('template', 'template', (),
     'the template store: list, add, verify, gc, fetch'),
    ('completion', 'completion', (),
     'print a shell completion script: eval "$(lago.pyz completion bash)"'),
)
MODULES = tuple(dict.fromkeys(module for _, module, _, _ in TABLE))
# Verb (and alias) -> the module that holds it.
VERBS = {name: module for verb, module, aliases, _ in TABLE for name in (verb, *aliases)}
# The global options (to find the verb in argv without parsing it all): those that take a
# value, and the flags (a unit test holds both to _global_options).
_VALUED = {"-w", "--workdir", "--workdir-path", "-P", "--prefix", "--prefix-name",
           "--prefix-path", "--connect", "--libvirt_url", "--ssh-user", "--lease_dir",
           "--lease-dir", "--out-format", "--domain-type", "--events"}
_FLAGS = {"--json", "-q", "--quiet", "-v", "--verbose", "--debug"}


def commands(modules: Sequence[str] = MODULES) -> List["Command"]:
    """The Command objects of ``modules`` (imported now), in help order."""
    out: List[Command] = []
    for name in modules:
        mod = importlib.import_module(f".commands.{name}", __package__)
        out.extend(mod.COMMANDS)
    return out


def modules_for(argv: Sequence[str]) -> Sequence[str]:
    """The command modules a parse of argv needs: the verb's own; none for --version, --help,
    no verb, a verb we do not know or one after an option we cannot read without argparse
    (e.g. '-qw DIR'; the table lists them all for help and for argparse's error); all after a
    bare ``--``, which makes argparse's reading of argv hard to foresee."""
    skip = False
    for arg in argv:
        if skip:
            skip = False
        elif arg in ("--version", "-h", "--help"):
            return ()
        elif arg == "--":
            return MODULES
        elif arg.startswith("-"):
            skip = arg in _VALUED
            if not skip and arg not in _FLAGS and arg.split("=", 1)[0] not in _VALUED:
                return ()
        else:
            return (VERBS[arg],) if arg in VERBS else ()
    return ()


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
    """The parser with the verbs of ``modules`` (all by default) with their own arguments;
    without modules (help, or a verb modules_for could not place), every verb of the table
    by name and help line only. A verb's run parses with its own verbs alone: a sub-parser
    per verb of the table cost more than the verb's own work (~8 ms)."""
    parser = argparse.ArgumentParser(
        prog="lago.pyz",
        description="Throw-away multi-VM test environments on libvirt.",
        epilog="Exit codes: 0 ok, 1 an external step failed, 2 bad usage or input, "
               "130 interrupted; 'ssh VM -- CMD' returns CMD's code.")
    parser.add_argument("--version", action="version", version=f"lago.pyz {version()}")
    _global_options(parser, suppress=False)
    sub = parser.add_subparsers(dest="verb", metavar="COMMAND")
    full = {cmd.name: cmd for cmd in commands(modules)}
    for verb, module, aliases, text in TABLE:
        if modules and module not in modules:
            continue
        p = sub.add_parser(verb, aliases=list(aliases), help=text, description=text)
        cmd = full.get(verb)
        if cmd is not None:
            cmd.add_arguments(p)
            _global_options(p, suppress=True)
            p.set_defaults(verb_command=cmd)
    return parser


class Terminated(BaseException):
    """SIGTERM/SIGHUP: unwind like Ctrl-C, so rollbacks run."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def _on_signal(signum: int, frame: Optional["FrameType"]) -> None:
    raise Terminated(signum)


def main(argv: Optional[List[str]] = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = build_parser(modules_for(argv))
    args, extra = parser.parse_known_args(argv)
    if args.verb is not None and not hasattr(args, "verb_command"):
        # The verb stood where modules_for did not look (e.g. '-qw DIR up'): again, with it.
        parser = build_parser((VERBS[args.verb],))
        args, extra = parser.parse_known_args(argv)
    if extra:
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    if args.verb is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    return _run(args)


def _run(args: argparse.Namespace) -> int:
    """Run the parsed verb: logging, signals, config, then the verb, errors as exit codes."""
    import os
    import signal

    from . import config, events, log, workdir
    from .commands.base import Context

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
            log.LOG.exception("traceback (--debug)")
        for line in exc.lines():
            sys.stderr.write(f"lago.pyz: {line}\n")
        return exc.exit_code
    except OSError as exc:
        # A host fault outside any tool (disk full, permission denied): one line, no traceback.
        if args.debug:
            log.LOG.exception("traceback (--debug)")
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
