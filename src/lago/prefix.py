"""Upstream Lago's ``lago.Prefix``: one environment's directory, driven by a script.

    prefix = lago.Prefix("/var/tmp/work/.lago/default")
    prefix.initialize()                 # the directory, its uuid and ssh key pair
    prefix.virt_conf(conf)              # an env-file document (a dict): leases, disks, provisioning
    prefix.start()                      # networks, VMs, and wait until each answers ssh
    prefix.virt_env.get_vms()["vm0"].ssh(["hostname"])

This is the one prefix class of the code: its saved state, lock, undo transaction and the
order of start/stop/destroy are env.Lifecycle's, the verbs of the command line running.py's
(both mixed in), and the steps (create.py, snapshots.py ...) take it. The command line opens
a prefix with ``Prefix.of(cfg, workdir, name)`` and calls the verbs, so a prefix made here
is a prefix ``lago.pyz -w DIR -P NAME`` knows, and the other way round. Settings (lease
directory, subnet pool, libvirt URL ...) come from the config files and ``LAGO_*``
variables, as for the command line.
"""
from __future__ import annotations

import copy
import logging
import os
import shutil
import uuid as uuidlib
from typing import Any, Dict, List, Optional, Sequence, Tuple

from . import config, model, state
from .env import Lifecycle
from .errors import NotFound, UsageError
from .fsutil import read_json, write_atomic, write_json
from .log import logger
from .making import Making
from .paths import Paths, PrefixPaths, WorkdirPaths
from .running import Running

LOG = logger("lago")


class PrefixError(UsageError, RuntimeError):
    """What upstream raised as RuntimeError (a prefix that cannot be made or used as asked);
    exit 2 on the command line's terms."""


def _create_ip(subnet: str, index: Any) -> str:
    """The address with last octet ``index`` in the /24 of ``subnet`` ('X.Y.Z' or an
    address)."""
    return ".".join(str(subnet).split(".")[:3] + [str(index)])


def _ip_in_subnet(subnet: str, ip: Any) -> bool:
    """Is ``ip`` in the /24 of ``subnet`` (only /24 subnets)?"""
    return _create_ip(subnet, 1) == _create_ip(ip, 1)


def _logging() -> None:
    """Unless the program set up the 'lago' logger itself: warnings on stderr, and the
    prefix's logs/lago.log gets everything, as with the command line."""
    logger = logging.getLogger("lago")
    if not logger.handlers or all(isinstance(h, logging.FileHandler) for h in logger.handlers):
        from . import log
        log.setup(verbosity=-1)


# Host paths in an env-file document: made absolute (from the current directory) before the
# document is kept in the prefix, where relative paths would mean something else.
_PATH_KEYS = (("disks", "path"), ("boot", "kernel"), ("boot", "initrd"))


def _absolute_paths(conf: Dict[str, Any]) -> Dict[str, Any]:
    conf = copy.deepcopy(conf)

    def fix(value: Any) -> Any:
        if isinstance(value, str) and value and not value.startswith(("$", "~", "/")):
            return os.path.abspath(value)
        return value
    for group in ("domains", "prototypes"):
        for dom in (conf.get(group) or {}).values():
            if not isinstance(dom, dict):
                continue
            for outer, key in _PATH_KEYS:
                items = dom.get(outer)
                for item in items if isinstance(items, list) else [items]:
                    if isinstance(item, dict) and key in item:
                        item[key] = fix(item[key])
            scripts = (dom.get("metadata") or {}).get("deploy-scripts")
            if isinstance(scripts, list):
                dom["metadata"]["deploy-scripts"] = [fix(s) for s in scripts]
    return conf


class Prefix(Running, Lifecycle, Making):
    """A prefix is a directory that will contain all the data needed to set up the env.

    One class from the script's ``Prefix(path)`` down to the steps: its files (``paths``,
    upstream's; ``files``, the layout the steps use), config, saved state and lock
    (Lifecycle, env.py), the verbs (Running, running.py), making an env from an env file
    (Making, making.py)."""

    def __init__(self, prefix: str) -> None:
        self._prefix = os.path.abspath(prefix)
        self._paths = self._create_paths()
        self.files = PrefixPaths(self._prefix)
        self._virt_env: Any = None
        self._metadata: Optional[Dict[str, Any]] = None
        self._config: Optional[config.Config] = None
        self._wd: Optional[WorkdirPaths] = None  # set by of(): opened by the command line
        self._state: Optional[state.State] = None
        self._env: Optional[model.Env] = None

    def __repr__(self) -> str:
        return f"<lago.Prefix {self._prefix}>"

    # -- how it is opened ----------------------------------------------------------------------
    @property
    def cfg(self) -> config.Config:
        """The settings (config files, ``LAGO_*`` variables), read on first use."""
        if self._config is None:
            self._config = config.load()[0]
            _logging()
        return self._config

    @cfg.setter
    def cfg(self, value: config.Config) -> None:
        self._config = value

    @classmethod
    def of(cls, cfg: config.Config, wd: WorkdirPaths, name: str) -> "Prefix":
        """The existing prefix ``name`` (or the current one) of workdir ``wd``, with the
        config ``cfg``: how the command line and lago.init/load/up open one."""
        from . import workdir
        return cls._at(cfg, workdir.existing(wd, name), wd)

    @classmethod
    def _at(cls, cfg: config.Config, files: PrefixPaths,
            wd: Optional[WorkdirPaths] = None) -> "Prefix":
        prefix = cls(files.root)
        prefix._config, prefix._wd = cfg, wd
        return prefix

    def _ops(self) -> Tuple[config.Config, WorkdirPaths, str]:
        """(config, workdir, prefix name): what opens a fresh copy of this prefix."""
        return (self.cfg, self._wd or WorkdirPaths(os.path.dirname(self._prefix)),
                os.path.basename(self._prefix))

    def _made(self) -> None:
        """A prefix a script opened by its path must have been made by virt_conf (said in
        the API's words); one the command line opened is checked when it is opened."""
        if self._wd is None:
            self._loaded()

    def _fresh(self) -> "Prefix":
        """A copy of this prefix that reads its files afresh."""
        return Prefix._at(self.cfg, self.files, self._wd)

    def _loaded(self) -> "Prefix":
        """The env as its files say now; NotFound unless virt_conf has made it."""
        p = self._fresh()
        if not p.initialized:
            raise NotFound(f"{self._prefix} holds no environment",
                           hint="call initialize() and virt_conf(conf) first")
        return p

    # -- the prefix's files --------------------------------------------------------------------
    def _create_paths(self) -> Paths:
        return Paths(self._prefix)

    @property
    def paths(self) -> Paths:
        """The path handler of this prefix."""
        return self._paths

    def _get_metadata(self) -> Dict[str, Any]:
        if self._metadata is None:
            try:
                self._metadata = dict(read_json(self.paths.metadata()))
            except (OSError, ValueError):
                self._metadata = {}
        return self._metadata

    def _save_metadata(self) -> None:
        write_json(self.paths.metadata(), self._get_metadata())

    def save(self) -> None:
        """Write this prefix's metadata and its env's pending changes to disk."""
        self._save_metadata()
        self.virt_env.save()

    def _create_ssh_keys(self) -> None:
        from . import addressing, ssh
        uuid = state.read_uuid(PrefixPaths(self._prefix)) or ""
        ssh.keygen(self.paths.ssh_id_rsa(), f"lago-{addressing.short_id(uuid)}")

    def initialize(self) -> None:
        """Create the prefix directory, its uuid and its ssh key pair (see virt_conf for the
        rest); a failure removes what this call made."""
        from .utils import RollbackContext
        root = self._prefix
        os.makedirs(os.path.dirname(root), exist_ok=True)
        try:
            os.mkdir(root)
        except OSError as exc:
            raise PrefixError(f"could not create prefix at {root}: {exc.strerror}",
                              hint="give a path that does not exist yet") from None
        with RollbackContext() as rollback:
            rollback.prependDefer(shutil.rmtree, root, True)
            with self.locked():
                self.open_log()
                write_atomic(self.paths.uuid(), f"{uuidlib.uuid4()}\n")
                self._create_ssh_keys()
            rollback.clear()

    # -- making the env ------------------------------------------------------------------------
    def virt_conf(self, conf: Dict[str, Any], template_repo: Any = None,
                  template_store: Any = None) -> None:
        """Make the env of ``conf`` (an env-file document: ``domains``, ``nets``,
        ``prototypes``) in this initialized prefix: subnet leases, addresses, disks,
        provisioning. ``template_repo``/``template_store``: a repo index (path or URL) and a
        store directory for ``type: template`` disks (default: the configured ones). Checked
        completely before anything is made; a failure removes what this call made."""
        from . import create, envfile, host, networks, templates
        p = self._fresh()
        if state.read_uuid(p.files) is None:
            raise PrefixError(f"{self._prefix} is not initialized", hint="call initialize()")
        if p.initialized:
            raise PrefixError(f"{self._prefix} has an environment already",
                              hint="use a new prefix, or cleanup() and remove this one")
        if not isinstance(conf, dict):
            raise UsageError("virt_conf: conf must be a dict (an env-file document)")
        cfg = self.cfg
        repo = str(template_repo) if template_repo is not None else cfg.template_repo
        store = str(template_store) if template_store is not None else cfg.template_store
        # Templates are registered (for 'template gc') in the store they came from.
        p.cfg = cfg._replace(template_repo=repo, template_store=store)
        for directory in (self.paths.virt(), self.paths.images()):
            os.makedirs(directory, exist_ok=True)
        initfile = self.paths.virt("init.json")
        write_json(initfile, _absolute_paths(conf))
        model = envfile.load_env(initfile, {"LAGO_PREFIX_PATH": self._prefix,
                                         "LAGO_WORKDIR_PATH": os.path.dirname(self._prefix),
                                         "LAGO_INITFILE_PATH": os.getcwd()})
        networks.require_host_bridges({n: net.bridge for n, net in model.nets.items()
                                       if net.bridge})
        templates.resolve(model, store, repo)
        with p.transaction() as undo:
            uuid = state.read_uuid(p.files) or ""
            undo.push("release leases", lambda: self._release_subnets(uuid))
            subnets = self._allocate_subnets(model)
            draft = state.State.from_dict({
                "uuid": uuid, "env_file": model.path, "ssh_key": None,
                "domain_type": host.domain_type(cfg.domain_type),
                **self._plan(model, uuid, subnets)})
            p.loaded(draft, model)
            create.build(p, model, undo, draft)
        self._virt_env = None

    def _allocate_subnets(self, conf: Any) -> List[Any]:
        """Lease every net's /24 for this prefix (all or none): pinned ones (gw) as asked,
        the others free ones from the pool."""
        from . import addressing, leases, subnet_lease
        cfg = self.cfg
        owner = leases.Owner(self._prefix, self.paths.uuid(),
                             state.read_uuid(PrefixPaths(self._prefix)) or "")
        return leases.acquire(cfg.lease_dir, leases.parse_pool(cfg.subnet_pool), owner,
                              addressing.subnet_requests(conf), excluded=subnet_lease._in_use())

    def _release_subnets(self, uuid: str) -> None:
        from . import leases
        leases.release(self.cfg.lease_dir, uuid)

    @staticmethod
    def _plan(conf: Any, uuid: str, leased: List[Any]) -> Dict[str, Any]:
        from . import addressing
        return addressing.plan(conf, uuid, addressing.all_subnets(conf, leased))

    # -- running it (the verbs are running.Running's) ----------------------------------------
    def start(self, vm_names: Optional[Sequence[str]] = None,
              no_wait: bool = False) -> Dict[str, Any]:
        """Start the networks and VMs (all, or ``vm_names``) and wait until each answers ssh
        with the env's key."""
        self._made()
        return super().start(vm_names, no_wait)

    def stop(self, vm_names: Optional[Sequence[str]] = None) -> List[str]:
        """Power the VMs (all, or ``vm_names``) off; the networks go down with the last."""
        self._made()
        return super().stop(vm_names)

    def _create_virt_env(self) -> Any:
        from .virt import VirtEnv
        return VirtEnv.from_prefix(self)

    @property
    def virt_env(self) -> Any:
        """The env's VirtEnv (its VMs and networks), made on first use."""
        if self._virt_env is None:
            self._virt_env = self._create_virt_env()
        return self._virt_env
