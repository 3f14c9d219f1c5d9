"""What a disk image file refers to, read from its header (pure; no tool, no lago imports).

A qcow2 image may name other files: a backing file (its data shows through) and an external
data file. QEMU opens them with the rights of whoever runs it, so an image from elsewhere that
names ``/etc/shadow`` would show that file to a guest, and an export would copy it into the
flattened image. The store refuses such images; a bundle's disks may name files inside it.
"""
from __future__ import annotations

import os
import struct
from typing import List, Optional

QCOW2_MAGIC = b"QFI\xfb"
_DATA_FILE_EXT = 0x44415441  # header extension: the external data file's name
_EXTERNAL_DATA = 1 << 2      # incompatible feature bit: data lives in another file
_HEADER_MAX = 1 << 16


def sniff(path: str) -> str:
    """qcow2 by its magic, else raw."""
    with open(path, "rb") as fh:
        return "qcow2" if fh.read(4) == QCOW2_MAGIC else "raw"


def references(path: str) -> List[str]:
    """The files a qcow2 image names (backing file, external data file), as written in it;
    [] for a raw image and for a header QEMU would not open (too short, another version)."""
    with open(path, "rb") as fh:
        head = fh.read(_HEADER_MAX)
    if head[:4] != QCOW2_MAGIC or len(head) < 72:
        return []
    version, backing_off, backing_len = struct.unpack(">IQI", head[4:20])
    if version not in (2, 3):
        return []  # not a qcow2 QEMU opens (it refuses other versions): it names nothing
    out = []
    if backing_off:
        with open(path, "rb") as fh:
            fh.seek(min(backing_off, 1 << 62))
            name = fh.read(min(backing_len, 4096)).decode("utf-8", "replace")
        out.append(name or "(a backing file)")
    if version == 3 and len(head) >= 104:
        incompatible = struct.unpack(">Q", head[72:80])[0]
        data_file = _extension(head, struct.unpack(">I", head[100:104])[0], _DATA_FILE_EXT)
        if data_file is not None or incompatible & _EXTERNAL_DATA:
            out.append(data_file or "(an external data file)")
    return out


def _extension(head: bytes, offset: int, wanted: int) -> Optional[str]:
    """The text of header extension ``wanted`` (they follow the header, 8-byte aligned)."""
    while offset + 8 <= len(head):
        kind, length = struct.unpack(">II", head[offset:offset + 8])
        if kind == 0:
            return None
        if kind == wanted:
            return head[offset + 8:offset + 8 + length].decode("utf-8", "replace")
        offset += 8 + (length + 7) // 8 * 8
    return None


def backing_path(image: str, name: str) -> str:
    """Where QEMU finds a backing file ``name`` of ``image``: relative to the image's dir."""
    return os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(image)), name))
