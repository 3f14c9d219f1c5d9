"""up ENVFILE: init + start + wait until every VM answers ssh, + deploy on a new env; then
the per-VM phase times. init ENVFILE: the env made, nothing started."""
from __future__ import annotations

import argparse
from typing import Dict, List

from .. import events, workdir
from ..prefix import Prefix
from .base import Command, Context, env_creation_arguments


def add_arguments(p: argparse.ArgumentParser) -> None:
    env_creation_arguments(p)
    p.add_argument("--no-wait", action="store_true", help="do not wait for ssh")


def run(ctx: Context, args: argparse.Namespace) -> int:
    result = Prefix.up(ctx.cfg, ctx.workdir, ctx.prefix, args.envfile, no_wait=args.no_wait,
                       ssh_key=args.ssh_key, skip_bootstrap=args.skip_bootstrap)
    if ctx.json:
        ctx.out_json(result)
    else:
        ready = result["ready"]
        detail = ", ".join(f"{vm} {s:.1f}s" for vm, s in sorted(ready.items()))
        ctx.out(f"environment '{result['prefix']}' is up" + (f" (ssh ready: {detail})"
                                                              if detail else ""))
        for line in phase_table(result["phases"]):
            ctx.out(line)
    return 0


def phase_table(phases: Dict[str, Dict[str, float]]) -> List[str]:
    """Per-VM phase seconds as aligned lines: a column per phase that any VM went through,
    in the order a VM meets them; env-wide phases ('' key) on a line of their own."""
    per_vm = {vm: p for vm, p in phases.items() if vm}
    if not per_vm:
        return []
    cols = [ph for ph in events.PHASES if any(ph in p for p in per_vm.values())]
    width = max(len("vm"), *(len(vm) for vm in per_vm))
    head = f"  {'vm':<{width}}" + "".join(f" {c:>11}" for c in cols)
    lines = [head]
    for vm in sorted(per_vm):
        cells = "".join(f" {per_vm[vm][c]:>10.2f}s" if c in per_vm[vm] else f" {'-':>11}"
                        for c in cols)
        lines.append(f"  {vm:<{width}}{cells}")
    shared = phases.get("", {})
    if shared:
        lines.append("  env-wide: " + ", ".join(f"{ph} {shared[ph]:.2f}s"
                                                for ph in events.PHASES if ph in shared))
    return lines


def init_arguments(p: argparse.ArgumentParser) -> None:
    env_creation_arguments(p, lago_init=True)


def run_init(ctx: Context, args: argparse.Namespace) -> int:
    cfg = ctx.cfg
    for key in ("template_repo", "template_store"):
        if getattr(args, key):
            cfg = cfg._replace(**{key: getattr(args, key)})
    wd = workdir.find(args.workdir_arg) if args.workdir_arg else ctx.workdir
    name = Prefix.create(cfg, wd, ctx.prefix, args.envfile, ssh_key=args.ssh_key,
                         skip_bootstrap=args.skip_bootstrap, skip_build=args.skip_build)
    if args.set_current:
        workdir.set_current(wd, name)
    return ctx.report({"prefix": name, "initialized": True},
                      f"environment '{name}' initialized (nothing started)")


COMMANDS = [Command("up", add_arguments, run),
            Command("init", init_arguments, run_init)]
