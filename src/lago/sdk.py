"""Upstream Lago's ``lago.sdk``: an environment from an env file, as one object.

    from lago import sdk
    env = sdk.init("env.yaml", workdir="/var/tmp/work/.lago")
    env.start()
    env.get_vms()["vm0"].ssh(["hostname"])
    print(env.ansible_inventory())
    env.destroy()

The object passes every other attribute on to the env's ``lago.Prefix`` and then to its
``VirtEnv`` (``env.start()``, ``env.create_snapshots(...)``, ``env.get_net()``).
"""
from __future__ import annotations

import contextlib
import logging
import os
import shutil
import tempfile
from typing import Any, Dict, Iterator, Optional, Sequence

from . import config as config_mod
from .errors import UsageError
from .prefix import Prefix

_GROUP_KEYS = ("vm-type", "groups", "vm-provider")


def _setup_logging(logfile: Optional[str], loglevel: int) -> None:
    from . import log
    logger = logging.getLogger("lago")
    if not logger.handlers or all(isinstance(h, logging.FileHandler) for h in logger.handlers):
        log.setup(verbosity=1 if loglevel <= logging.DEBUG else
                  0 if loglevel <= logging.INFO else -1)
    if logfile:
        os.makedirs(os.path.dirname(os.path.abspath(logfile)), exist_ok=True)
        log.attach_file(os.path.abspath(logfile))


def _config(settings: Dict[str, Any]) -> config_mod.Config:
    """The effective config with ``settings`` (config keys) over files and LAGO_*."""
    known = set(config_mod.Config._fields)
    unknown = sorted(set(settings) - known)
    if unknown:
        raise UsageError(f"unknown setting(s): {', '.join(unknown)}",
                         hint=f"known: {', '.join(sorted(known))}")
    return config_mod.load(settings)[0]


def init(config: str, workdir: Optional[str] = None, logfile: Optional[str] = None,
         loglevel: int = logging.INFO, **kwargs: Any) -> "SDK":
    """Create the environment of env file ``config`` in ``workdir`` (default ./.lago);
    nothing runs. Keyword arguments: ``prefix_name`` (default: the workdir's current, else
    'default'), ``skip_bootstrap``, ``ssh_key``, ``template_repo_path``,
    ``template_store``, and configuration keys (``lease_dir``, ``subnet_pool`` ...)."""
    from . import api
    _setup_logging(logfile, loglevel)
    workdir = os.path.abspath(workdir or ".lago")
    prefix_name = kwargs.pop("prefix_name", None)
    skip_bootstrap = bool(kwargs.pop("skip_bootstrap", False))
    ssh_key = kwargs.pop("ssh_key", None)
    if kwargs.get("template_repo_path"):
        kwargs["template_repo"] = kwargs.pop("template_repo_path")
    kwargs.pop("template_repo_path", None)
    cfg = _config(kwargs)
    env = api.init(config, workdir=workdir, prefix=prefix_name, ssh_key=ssh_key,
                   skip_bootstrap=skip_bootstrap, **kwargs)
    return SDK(workdir, env.path, cfg)


def load_env(workdir: str, logfile: Optional[str] = None, loglevel: int = logging.INFO,
             prefix: str = "current", **settings: Any) -> "SDK":
    """An existing environment: ``prefix`` (default: the workdir's current one) of
    ``workdir``. ``settings``: configuration keys, as for init."""
    from . import workdir as workdir_mod
    from .paths import WorkdirPaths
    _setup_logging(logfile, loglevel)
    cfg = _config(settings)
    wd = WorkdirPaths(os.path.abspath(workdir))
    return SDK(wd.root, workdir_mod.existing(wd, prefix).root, cfg)


class SDK:
    """One environment: its workdir and its Prefix (and, through that, its VirtEnv)."""

    def __init__(self, workdir: str, prefix: str, cfg: Optional[config_mod.Config] = None) -> None:
        self._workdir = os.path.abspath(workdir)
        self._prefix = Prefix(prefix)
        if cfg is not None:
            self._prefix._config = cfg

    def __repr__(self) -> str:
        return f"<lago.sdk.SDK {self._prefix.paths.prefix()}>"

    def __getattr__(self, name: str) -> Any:
        prefix = self.__dict__.get("_prefix")
        if prefix is None or name.startswith("__"):
            raise AttributeError(name)
        try:
            return getattr(prefix, name)
        except AttributeError:
            return getattr(prefix.virt_env, name)

    def __dir__(self) -> Sequence[str]:
        return sorted(set(dir(type(self))) | set(self.__dict__) | set(dir(self._prefix)) |
                      {n for n in dir(type(self._prefix.virt_env)) if not n.startswith("_")})

    def get_vms(self) -> Dict[str, Any]:
        return dict(self._prefix.virt_env.get_vms())

    def get_nets(self) -> Dict[str, Any]:
        return dict(self._prefix.virt_env.get_nets())

    def ansible_inventory(self, keys: Sequence[str] = _GROUP_KEYS) -> str:
        """An Ansible INI inventory: every VM with its address, user and the env's key, a
        section per group (each VM's ``groups``), and a section 'KEY=VALUE' per value of each
        of ``keys`` in the VM's spec, as ``ansible_hosts --keys`` writes it."""
        from . import inventory
        return inventory.ansible_inventory(inventory.facts(self._prefix._loaded()), list(keys))

    @contextlib.contextmanager
    def ansible_inventory_temp_file(self, keys: Sequence[str] = _GROUP_KEYS) -> Iterator[Any]:
        """The inventory in a temp file, removed when the block ends: ``with
        env.ansible_inventory_temp_file() as f: ... -i f.name``."""
        text = self.ansible_inventory(keys)
        with tempfile.NamedTemporaryFile("w", prefix="lago-inventory-", suffix=".ini") as f:
            f.write(text)
            f.flush()
            yield f

    def destroy(self) -> None:
        """Remove everything of the env (VMs, networks, leases, its prefix); the workdir
        too when no other env is left in it."""
        from . import workdir
        from .paths import WorkdirPaths
        self._prefix.destroy()
        wd = WorkdirPaths(self._workdir)
        if os.path.isdir(wd.root) and not workdir.list_prefixes(wd):
            shutil.rmtree(wd.root)
