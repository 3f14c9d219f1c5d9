"""Upstream Lago's ``lago.constants``: fixed names and defaults of this build."""
from __future__ import annotations

from .paths import CURRENT, WORKDIR_NAME

#: The directory name of a workdir, and its link to the current prefix
WORKDIR_NAME = WORKDIR_NAME
CURRENT = CURRENT
#: The default libvirt connection
LIBVIRT_URL = "qemu:///system"
#: The file name of the env's lock of template versions (beside the env file)
TEMPLATES_LOCK = "env.lock"

__all__ = ["WORKDIR_NAME", "CURRENT", "LIBVIRT_URL", "TEMPLATES_LOCK"]
