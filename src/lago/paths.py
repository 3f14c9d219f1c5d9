"""The single place that names every file of a workdir and of a prefix (SPEC §9).

PrefixPaths and WorkdirPaths are NamedTuples, not dataclasses: every verb makes them, and
importing dataclasses costs more than a short verb's own work."""
from __future__ import annotations

import os
from typing import NamedTuple

WORKDIR_NAME = ".lago"
CURRENT = "current"
EXPORT_ENV_FILE = "env.json"  # the env file export writes beside the disks


class PrefixPaths(NamedTuple):
    root: str

    @property
    def name(self) -> str:
        return os.path.basename(self.root)

    def _p(self, *parts: str) -> str:
        return os.path.join(self.root, *parts)

    @property
    def uuid(self) -> str:
        return self._p("uuid")

    @property
    def initialized(self) -> str:
        return self._p("initialized")

    @property
    def ssh_key(self) -> str:
        return self._p("id_rsa")

    @property
    def ssh_pubkey(self) -> str:
        return self._p("id_rsa.pub")

    @property
    def known_hosts(self) -> str:
        return self._p("known_hosts")

    @property
    def env(self) -> str:
        return self._p("env.json")

    @property
    def state(self) -> str:
        return self._p("state.json")

    @property
    def lock(self) -> str:
        return self._p(".lock")

    @property
    def images(self) -> str:
        return self._p("images")

    @property
    def logs(self) -> str:
        return self._p("logs")

    def deploy_script(self, vm: str, index: int, original: str) -> str:
        """The prefix's copy of a VM's ``index``-th deploy script (taken at init, so the env
        keeps working when the original changes or goes)."""
        return self._p("scripts", vm, f"{index:02d}-{os.path.basename(original)}")

    @property
    def log(self) -> str:
        return self._p("logs", "lago.log")

    @property
    def scripts(self) -> str:
        return self._p("scripts")

    @property
    def ssh_control_dir(self) -> str:
        return self._p("ssh")

    def key_installed(self, vm: str) -> str:
        """Marker: the env's key has logged in to ``vm`` once (first contact is over)."""
        return self._p("ssh", f"{vm}.key-ok")

    def disk(self, vm: str, disk: str) -> str:
        return self._p("images", f"{vm}-{disk}.qcow2")


class WorkdirPaths(NamedTuple):
    root: str

    @property
    def current(self) -> str:
        return os.path.join(self.root, CURRENT)

    def prefix(self, name: str) -> PrefixPaths:
        return PrefixPaths(os.path.join(self.root, name))


class Paths:
    """Upstream Lago's path handler of a prefix (``lago.paths.Paths``), over the layout above:
    every method names the same file PrefixPaths names."""

    def __init__(self, prefix: str) -> None:
        self._p = PrefixPaths(os.path.abspath(prefix))

    def _prefixed(self, *args: str) -> str:
        return os.path.join(self._p.root, *args)

    def prefix(self) -> str:
        return self._p.root

    def uuid(self) -> str:
        return self._p.uuid

    def ssh_id_rsa(self) -> str:
        return self._p.ssh_key

    def ssh_id_rsa_pub(self) -> str:
        return self._p.ssh_pubkey

    def images(self, *path: str) -> str:
        return os.path.join(self._p.images, *path)

    def virt(self, *path: str) -> str:
        """Upstream's per-VM and per-net spec files; here only what the API's save(path)
        writes (the env's state is state.json)."""
        return self._prefixed("virt", *path)

    def logs(self) -> str:
        return self._p.logs

    def metadata(self) -> str:
        """The prefix's free-form metadata (a JSON object), kept by ``Prefix.save()``."""
        return self._prefixed("metadata")

    def prefix_lagofile(self) -> str:
        """This file represents a prefix that's initialized (a complete env)."""
        return self._p.initialized
