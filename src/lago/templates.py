"""`type: template` disks: resolved from the store (fetched from the repo if needed) and pinned.

``env.lock`` beside the env file pins, per template name, the version and sha256 the first
init used; later inits use exactly those, or stop with exit 2 naming the template. The lock
file is JSON::

    {"templates": {NAME: {"version": "...", "sha256": "..."}}}
"""
from __future__ import annotations

import os
from typing import Any, Dict, List, Optional

from . import model, store
from .errors import UsageError
from .fsutil import read_json, write_json

LOCK_NAME = "env.lock"


def lock_path(env_path: str) -> str:
    return os.path.join(os.path.dirname(os.path.abspath(env_path)), LOCK_NAME)


def template_disks(env: model.Env) -> List[model.Disk]:
    return [d for dom in env.domains.values() for d in dom.disks
            if d.type == "template" and d.path is None]


def check(env: model.Env, root: str, repo_url: str) -> None:
    """For `validate`: every template disk is in the store or in the repo's index (nothing is
    downloaded or pinned); raises NotFound (exit 2) otherwise."""
    index = None
    for disk in template_disks(env):
        name = disk.template_name or ""
        if store.find(root, name, disk.template_version) is not None:
            continue
        if not repo_url:
            store.resolve(root, name, disk.template_version)
        from . import repo  # http and ssl cost ~20 ms to import; only a repo needs them

        index = index or repo.load_index(repo_url)
        repo.pick(index, name, disk.template_version, repo.index_url(repo_url))


def _entry(root: str, repo_url: str, name: str, version: Optional[str]) -> Dict[str, Any]:
    have = store.find(root, name, version)
    if have is not None or not repo_url:
        return have or store.resolve(root, name, version)
    from . import repo

    return repo.fetch(root, repo_url, name, version)


def resolve(env: model.Env, root: str, repo_url: str) -> Dict[str, Dict[str, Any]]:
    """Fill in each template disk's path (and the VM's distro from the template's metadata
    unless the env sets one); write env.lock on first use. Returns {name: store entry}."""
    disks = template_disks(env)
    if not disks:
        return {}
    path = lock_path(env.path)
    pins = read_json(path).get("templates", {}) if os.path.exists(path) else {}
    used: Dict[str, Dict[str, Any]] = {}
    for dom in env.domains.values():
        for disk in dom.disks:
            if disk.type != "template" or disk.path is not None:
                continue
            name = disk.template_name or ""
            pin = pins.get(name)
            if pin and disk.template_version and disk.template_version != pin["version"]:
                raise UsageError(f"{env.path}: {dom.name} disk '{disk.name}' asks for template "
                                 f"'{name}' version '{disk.template_version}', but {path} pins "
                                 f"'{pin['version']}'", hint=f"edit or remove {path}")
            entry = used.get(name) or _entry(root, repo_url, name,
                                             pin["version"] if pin else disk.template_version)
            if pin and entry["sha256"] != pin["sha256"]:
                raise UsageError(f"template '{name}' version '{entry['version']}' in the store "
                                 f"has sha256 {entry['sha256']}, but {path} pins {pin['sha256']}",
                                 hint="restore the pinned image, or remove the pin from "
                                      f"{path} to accept the new one")
            used[name] = entry
            disk.path, disk.template_version = entry["path"], entry["version"]
            disk.format = entry.get("format", disk.format)  # as the store found it
            if dom.distro is None:
                dom.distro = entry.get("metadata", {}).get("distro")
    new = {n: {"version": e["version"], "sha256": e["sha256"]} for n, e in used.items()}
    if any(pins.get(n) != v for n, v in new.items()):
        write_json(path, {"templates": {**pins, **new}})
    return used


def register(env: model.Env, root: str, uuid: str, uuid_file: str, prefix: str) -> None:
    """Record the prefix as a user of each store image it uses, so `template gc` keeps them."""
    seen = set()
    for dom in env.domains.values():
        for d in dom.disks:
            if d.type != "template" or not d.template_name or not d.template_version:
                continue
            if d.path != store.image_path(root, d.template_name, d.template_version):
                continue  # a template disk given by path is not the store's
            if (d.template_name, d.template_version) not in seen:
                seen.add((d.template_name, d.template_version))
                store.add_user(root, d.template_name, d.template_version, uuid, uuid_file,
                               prefix)
