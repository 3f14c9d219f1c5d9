"""Making an env from an env file: lago.Prefix's up, create (the init verb) and validate, the
order of making an env (create.py's steps under the prefix lock, the networks started while
the disks are made, then the VMs, the wait and the deploy scripts). Mixed into Prefix.
"""
from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, Dict, Optional, Tuple

from . import config
from .errors import UsageError
from .paths import WorkdirPaths

if TYPE_CHECKING:
    from .prefix import Prefix


class Making:
    """The classmethods that make a Prefix's env from an env file."""

    # -- the up, init and validate verbs --------------------------------------------------------
    @classmethod
    def up(cls, cfg: config.Config, wd: WorkdirPaths, name: str, envfile: str,
           no_wait: bool = False, ssh_key: Optional[str] = None,
           skip_bootstrap: bool = False) -> Dict[str, Any]:
        """init (if needed) + start + wait, then the deploy scripts when this call created
        the env.

        Returns {"prefix", "started", "ready": {vm: s}, "deployed": {vm: [...]},
        "phases": {vm: {phase: s}}} (env-wide phases under ""). A failing deploy script
        leaves the env up (it is not rolled back) and raises ScriptFailed."""
        from . import create, events, networks, parallel, readiness
        from .log import step
        env, prefix, user_key = _new(cls, cfg, wd, name, envfile, ssh_key, skip_bootstrap)
        events.reset()
        if (prefix.initialized and user_key is not None
                and prefix.state.ssh_key != user_key.path):
            raise UsageError(f"environment '{prefix.files.name}' exists and was not made with "
                             f"--ssh-key {user_key.path}",
                             hint="leave --ssh-key out to start it, or destroy it first")
        with prefix.transaction() as undo:
            # Asked under the lock: a concurrent up may have made the env while this one waited.
            fresh, known = not prefix.initialized, None
            if fresh:
                with step("Initialize environment %s", prefix.files.name):
                    draft = create.reserve(prefix, env, undo, user_key)
                    # The networks start while the disks are made and the guests provisioned.
                    with parallel.alongside(lambda: networks.ensure_all(prefix, undo, {})):
                        create.build(prefix, env, undo, draft)
                # So start() need not ask the host: nothing of this env but its networks exists.
                known = ({}, {net.libvirt_name: True for net in draft.nets.values()})
            _set_current(wd, prefix, undo)
            started = prefix._start_vms(None, undo, known=known)
            ready = {} if no_wait else readiness.wait_ready(prefix, prefix.vm_names())
        result = {"prefix": prefix.files.name, "started": started, "ready": ready}
        # Deploy scripts run once, when this up creates the env: re-running up must not repeat
        # them (that is what 'deploy' is for). They need ssh, so not with no_wait.
        if fresh and not no_wait:
            with prefix.transaction():
                result["deployed"] = prefix._deploy()
        result["phases"] = events.times()
        return result

    @classmethod
    def create(cls, cfg: config.Config, wd: WorkdirPaths, name: str, envfile: str,
               ssh_key: Optional[str] = None, skip_bootstrap: bool = False,
               skip_build: bool = False) -> str:
        """`lago.pyz init`: make the env's prefix without starting anything; its name."""
        from . import create
        from .log import step
        env, prefix, user_key = _new(cls, cfg, wd, name, envfile, ssh_key, skip_bootstrap,
                                     skip_build)
        if prefix.initialized:
            raise UsageError(f"environment '{prefix.files.name}' already exists in {wd.root}",
                             hint="use 'up' to start it, or 'destroy' it first")
        with prefix.transaction() as undo:
            with step("Initialize environment %s", prefix.files.name):
                create.initialize(prefix, env, undo, user_key)
            _set_current(wd, prefix, undo)
        return prefix.files.name

    @staticmethod
    def validate(envfile: str, wd: WorkdirPaths, name: str,
                 cfg: Optional[config.Config] = None) -> Any:
        """The env file checked exactly as up/init check it (and its templates, given
        ``cfg``); touches nothing. Returns the env model."""
        from . import bundle, create, templates
        env = create.load(wd, name, envfile, cfg)
        bundle.check(env)
        if cfg is not None:
            templates.check(env, cfg.template_store, cfg.template_repo)
        return env


def _set_current(wd: WorkdirPaths, prefix: "Prefix", undo: Any) -> None:
    from . import workdir
    if not os.path.lexists(wd.current):
        undo.push("reset current", lambda: workdir.clear_current_if(wd, prefix.files.name))
        workdir.set_current(wd, prefix.files.name)


def _new(cls: Any, cfg: config.Config, wd: WorkdirPaths, name: str, envfile: str,
         ssh_key: Optional[str] = None, skip_bootstrap: bool = False,
         skip_build: bool = False) -> Tuple[Any, "Prefix", Any]:
    """(env model, the prefix, the --ssh-key checked): the env file and the key
    validated, nothing on the host touched before this passes. ``skip_bootstrap``: every VM's
    image is used as it is (``provision: none``); ``skip_build``: no disk build steps."""
    from . import bundle, create, networks, templates, workdir
    env = create.load(wd, name, envfile, cfg)
    if skip_bootstrap:
        for dom in env.domains.values():
            dom.bootstrap, dom.provision = False, "none"
    if skip_build:
        for dom in env.domains.values():
            for disk in dom.disks:
                disk.build = []
    user_key = create.UserKey(ssh_key) if ssh_key else None
    networks.require_host_bridges({n: net.bridge for n, net in env.nets.items() if net.bridge})
    templates.resolve(env, cfg.template_store, cfg.template_repo)
    prefix = cls._at(cfg, workdir.prefix_for_new(wd, name), wd)
    if not prefix.initialized:
        bundle.check(env)  # hashes every listed disk: once, when the env is made
    os.makedirs(wd.root, exist_ok=True)
    return env, prefix, user_key
