"""template list / add NAME PATH [--version V] / verify / gc / fetch NAME: the store (SPEC §6)."""
from __future__ import annotations

import argparse
import json
import os
from typing import Any, Dict, List

from .. import imagefile, repo, store
from ..errors import ExternalError, UsageError
from .base import Command, Context


def _args(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    sub.add_parser("list", help="stored templates and versions")
    add = sub.add_parser("add", help="import a local image (copied, hashed)")
    add.add_argument("name")
    add.add_argument("path")
    add.add_argument("--version", help="version label (default: a UTC timestamp)")
    add.add_argument("--metadata", metavar="JSON", default="{}",
                     help='e.g. \'{"distro": "debian"}\'')
    sub.add_parser("verify", help="re-hash every stored image")
    gc = sub.add_parser("gc", help="remove versions that no environment uses")
    gc.add_argument("--dry-run", action="store_true")
    fetch = sub.add_parser("fetch", help="download NAME from the repo (template_repo)")
    fetch.add_argument("name")
    fetch.add_argument("--version")


def _template(ctx: Context, args: argparse.Namespace) -> int:
    root = ctx.cfg.template_store
    if args.action == "list":
        return _show(ctx, [_public(e) for e in store.entries(root)])
    if args.action == "add":
        return _show(ctx, [_public(_add(root, args))])
    if args.action == "fetch":
        if not ctx.cfg.template_repo:
            raise UsageError("no template repo configured",
                             hint="set template_repo (LAGO_TEMPLATE_REPO or lago.conf)")
        return _show(ctx, [_public(repo.fetch(root, ctx.cfg.template_repo, args.name,
                                              args.version))])
    if args.action == "verify":
        results = store.verify(root)
        if ctx.json:
            ctx.out_json({"store": root, "results": results})
        else:
            for r in results:
                state = "ok" if r["ok"] else f"CORRUPT (expected {r['expected']}, got {r['actual']})"
                ctx.out(f"{r['name']:<20} {r['version']:<16} {state}")
        bad = [f"{r['name']} {r['version']}" for r in results if not r["ok"]]
        if bad:
            raise ExternalError(f"{len(bad)} corrupt template(s) in {root}: {', '.join(bad)}",
                                hint="remove and re-import or re-fetch them")
        return 0
    removed = store.gc(root, dry_run=args.dry_run)
    if ctx.json:
        ctx.out_json({"removed": removed, "dry_run": args.dry_run})
    else:
        verb = "would remove" if args.dry_run else "removed"
        ctx.out(f"{verb}: " + (", ".join(f"{r['name']} {r['version']}" for r in removed)
                              or "nothing"))
    return 0


def _add(root: str, args: argparse.Namespace) -> Dict[str, Any]:
    if not os.path.isfile(args.path):
        raise UsageError(f"{args.path}: no such image file")
    try:
        metadata = json.loads(args.metadata)
        assert isinstance(metadata, dict)
    except (ValueError, AssertionError):
        raise UsageError("--metadata must be a JSON object") from None
    name = store.check_name("name", args.name)
    version = store.check_name("version", args.version or store.now_version())
    fmt = imagefile.sniff(args.path)
    with store.locked(root, name), open(args.path, "rb") as src:
        return store.import_stream(root, name, version, src, fmt=fmt,
                                   source=os.path.abspath(args.path), label=args.path,
                                   metadata=metadata)


def _public(e: Dict[str, Any]) -> Dict[str, Any]:
    return {k: e[k] for k in ("name", "version", "sha256", "format", "timestamp", "path",
                              "source", "metadata") if k in e}


def _show(ctx: Context, rows: List[Dict[str, Any]]) -> int:
    if ctx.json:
        ctx.out_json({"store": ctx.cfg.template_store, "templates": rows})
        return 0
    ctx.out(f"{'name':<20} {'version':<16} {'format':<6} sha256")
    for r in rows:
        ctx.out(f"{r['name']:<20} {r['version']:<16} {r['format']:<6} {r['sha256'][:16]}")
    return 0


COMMANDS = [Command("template", _args, _template)]
