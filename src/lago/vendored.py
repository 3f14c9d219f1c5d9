"""Lazy access to the vendored third-party packages (PyYAML, pexpect, ptyprocess).

In the built zipapp they live under ``<archive>/_vendor``; in a source checkout under
``<repo>/vendor``. The directory is put on ``sys.path`` only when first needed, because imports
from a zip cost tens of milliseconds and most commands need neither package.
"""
from __future__ import annotations

import os
import sys
import zipimport
from types import ModuleType

_PKG_DIR = os.path.dirname(os.path.abspath(__file__))


def _vendor_dir() -> str:
    loader = globals().get("__loader__")
    if isinstance(loader, zipimport.zipimporter):
        return os.path.join(os.path.dirname(_PKG_DIR), "_vendor")
    return os.path.join(os.path.dirname(os.path.dirname(_PKG_DIR)), "vendor")


def _ensure_path() -> None:
    path = _vendor_dir()
    if path not in sys.path:
        # First on the path: lago runs with the versions it was tested with, whatever the
        # host has installed. A program that imported its own copy earlier keeps it.
        sys.path.insert(0, path)


def yaml() -> ModuleType:
    _ensure_path()
    import yaml as mod

    return mod


def pexpect() -> ModuleType:
    _ensure_path()
    import pexpect as mod

    return mod
