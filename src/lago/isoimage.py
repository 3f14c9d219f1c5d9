"""ISO 9660 images (the cloud-init seed) with genisoimage, xorriso or mkisofs: pure argv builder."""
from __future__ import annotations

import shutil
from typing import List, Optional, Sequence

from . import runner
from .errors import ToolMissing

TOOLS = ("genisoimage", "xorriso", "mkisofs")


def find_tool(which=shutil.which) -> str:
    for tool in TOOLS:
        if which(tool):
            return tool
    raise ToolMissing("no ISO tool found (genisoimage, xorriso or mkisofs)",
                      hint="install genisoimage (Debian) or xorriso")


def create_argv(tool: str, output: str, volume_id: str, files: Sequence[str]) -> List[str]:
    """Rock Ridge + Joliet so the guest sees the file names as written (meta-data, user-data)."""
    head = ["xorriso", "-as", "mkisofs"] if tool == "xorriso" else [tool]
    return head + ["-quiet", "-output", output, "-volid", volume_id, "-joliet", "-rock",
                   *files]


def create(output: str, volume_id: str, files: Sequence[str], tool: Optional[str] = None) -> None:
    runner.run(create_argv(tool or find_tool(), output, volume_id, files), timeout=120)
