"""Configuration (SPEC §10): defaults → /etc/lago/lago.conf → ~/.config/lago/lago.conf →
LAGO_* environment variables → command line. INI format, section [lago]."""
from __future__ import annotations

import os
from typing import Any, Dict, List, Mapping, NamedTuple, Optional, Tuple

from .errors import UsageError


class Config(NamedTuple):
    """The effective configuration (a NamedTuple: every verb loads it, and importing
    dataclasses costs more than a short verb's work; ``cfg._replace(key=value)`` for a copy)."""

    workdir: str = ""
    libvirt_url: str = "qemu:///system"
    domain_type: str = ""
    lease_dir: str = "/var/lib/lago/subnets"
    subnet_pool: str = "192.168.200.0-192.168.255.0"  # SPEC §5
    template_store: str = "/var/lib/lago/store"
    template_repo: str = ""
    ssh_user: str = "root"
    ssh_password: str = ""
    ssh_timeout: float = 60.0
    boot_timeout: float = 300.0
    lock_timeout: float = 60.0  # how long a changing command waits for the prefix lock
    events: str = ""


SECRET_KEYS = ("ssh_password",)


def system_files(environ: Mapping[str, str]) -> List[str]:
    home_cfg = environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return ["/etc/lago/lago.conf", os.path.join(home_cfg, "lago", "lago.conf")]


def load(cli: Optional[Dict[str, Any]] = None, environ: Optional[Mapping[str, str]] = None,
         files: Optional[List[str]] = None) -> Tuple[Config, Dict[str, str]]:
    """Return the effective config and, per key, where its value came from."""
    environ = os.environ if environ is None else environ
    files = system_files(environ) if files is None else files
    cfg = Config()
    origin = {name: "default" for name in Config._fields}
    for path in files:
        values = _read_ini(path)
        cfg = _apply(cfg, values, origin, path)
    env_values = {name: environ[f"LAGO_{name.upper()}"] for name in Config._fields
                  if f"LAGO_{name.upper()}" in environ}
    cfg = _apply(cfg, env_values, origin, "environment")
    cfg = _apply(cfg, {k: v for k, v in (cli or {}).items() if v not in (None, "")}, origin,
                 "command line")
    if cfg.domain_type not in ("", "kvm", "qemu"):
        raise UsageError(f"domain_type must be kvm or qemu, not '{cfg.domain_type}'")
    return cfg, origin


def _read_ini(path: str) -> Dict[str, str]:
    try:
        with open(path, encoding="utf-8") as fh:
            # Imported only for a file that is there: most runs have none, and every verb
            # (ssh, status) reads the config.
            import configparser
            parser = configparser.ConfigParser(interpolation=None)
            try:
                parser.read_file(fh)
            except configparser.Error as exc:
                raise UsageError(f"{path}: cannot read the config file: {exc}") from None
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path}: cannot read the config file: {exc}") from None
    if not parser.has_section("lago"):
        return {}
    known = set(Config._fields)
    values = dict(parser.items("lago"))
    unknown = sorted(set(values) - known)
    if unknown:
        raise UsageError(f"{path}: unknown key(s) in [lago]: {', '.join(unknown)}",
                         hint=f"known keys: {', '.join(sorted(known))}")
    return values


def _apply(cfg: Config, values: Mapping[str, Any], origin: Dict[str, str], source: str) -> Config:
    changes = {}
    for name, default in Config._field_defaults.items():
        if name not in values:
            continue
        raw = values[name]
        if isinstance(default, float):  # a number key: its default says so
            try:
                raw = float(raw)
            except (TypeError, ValueError):
                raise UsageError(f"{source}: {name} must be a number, not '{raw}'") from None
        changes[name] = raw
        origin[name] = source
    return cfg._replace(**changes) if changes else cfg


def as_dict(cfg: Config, show_secrets: bool = False) -> Dict[str, Any]:
    out = cfg._asdict()
    for key in SECRET_KEYS:
        if out[key] and not show_secrets:
            out[key] = "******"
    return out


_NO_DEFAULT = object()


def get(key: str, default: Any = _NO_DEFAULT) -> Any:
    """Upstream Lago's ``lago.config.get``: the effective value of one key (files, then
    ``LAGO_<KEY>``); a key this build does not know is read from ``LAGO_<KEY>`` alone.
    ``default`` when it is set nowhere, else KeyError."""
    cfg, origin = load()
    if key in origin:
        return getattr(cfg, key)
    value = os.environ.get(f"LAGO_{key.upper()}")
    if value is not None:
        return value
    if default is _NO_DEFAULT:
        raise KeyError(key)
    return default
