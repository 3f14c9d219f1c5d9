"""lago: throw-away multi-VM test environments on libvirt.

The Python API (``lago.load``, ``lago.init``, ``lago.up`` and the objects they return) lives
in ``lago.api``; the typed errors in ``lago.errors``; upstream Lago's documented API
(``lago.Prefix``, ``lago.virt``, ``lago.sdk``, ``lago.subnet_lease`` ...) in ``lago.prefix`` and
the modules of those names. All are imported on first use, so the command line
(``lago.pyz --version``) does not pay for them.
"""

__version__ = "0.1.0"

_API = ("load", "init", "up", "Env", "VM", "Network", "Service", "CommandResult")
_ERRORS = ("LagoError", "UsageError", "SpecError", "LeaseError", "LockBusy", "NotFound",
           "ExternalError", "CommandFailed", "ToolMissing", "Timeout")
_PREFIX = ("Prefix", "_create_ip", "_ip_in_subnet")
# Upstream's submodules, reachable as attributes of the package (``lago.virt.VM``).
_SUBMODULES = ("virt", "sdk", "subnet_lease", "dirlock", "sysprep", "utils", "brctl",
               "constants", "paths", "config", "templates")
__all__ = ["__version__", *_API, *_ERRORS, "Prefix"]


def __getattr__(name: str):  # PEP 562: lazy attributes of the package
    if name in _API:
        from . import api

        return getattr(api, name)
    if name in _ERRORS:
        from . import errors

        return getattr(errors, name)
    if name in _PREFIX:
        from . import prefix

        return getattr(prefix, name)
    if name in _SUBMODULES:
        import importlib

        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module 'lago' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
