"""lago: throw-away multi-VM test environments on libvirt.

The Python API (``lago.load``, ``lago.init``, ``lago.up`` and the objects they return) lives
in ``lago.api``; the typed errors in ``lago.errors``. Both are imported on first use, so the
command line (``lago.pyz --version``) does not pay for them.
"""

__version__ = "0.1.0"

_API = ("load", "init", "up", "Env", "VM", "Network", "Service", "CommandResult")
_ERRORS = ("LagoError", "UsageError", "SpecError", "LeaseError", "LockBusy", "NotFound",
           "ExternalError", "CommandFailed", "ToolMissing", "Timeout")
__all__ = ["__version__", *_API, *_ERRORS]


def __getattr__(name: str):  # PEP 562: lazy attributes of the package
    if name in _API:
        from . import api

        return getattr(api, name)
    if name in _ERRORS:
        from . import errors

        return getattr(errors, name)
    raise AttributeError(f"module 'lago' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
