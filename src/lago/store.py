"""The template store (SPEC §6): verified images by name and version, shared by every prefix.

Layout (directories 0755 and images 0644: QEMU runs as an unprivileged user and reads the
images in place as overlay bases)::

    STORE/NAME/VERSION/image       the disk, never written after it entered the store
    STORE/NAME/VERSION/meta.json   {"name","version","sha256","format","timestamp","source",
                                    "metadata"}; sha256 is the image as stored (unpacked)
    STORE/NAME/VERSION/users/UUID.json   {"uuid_file","uuid","prefix"}: a prefix using it
    STORE/.locks/NAME.lock         flock per template: one import/download at a time

An image enters the store only complete and verified: it is written into a temp directory
beside its final place and renamed into place after its hash matched. A user record is stale
when its prefix's uuid file is gone or holds another uuid (the lease store's rule); ``gc``
removes versions whose users are all stale.
"""
from __future__ import annotations

import contextlib
import datetime
import hashlib
import lzma
import os
import re
import shutil
import tempfile
from typing import IO, Any, Dict, Iterator, List, Optional

from . import imagefile
from .errors import ExternalError, NotFound, UsageError
from .fsutil import flocked, read_json, read_small, write_json

LOCK_TIMEOUT = 3600.0  # a download by another process may take that long
CHUNK = 1 << 20
sniff_format = imagefile.sniff
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.+-]{0,79}$")


def check_name(what: str, value: str) -> str:
    if not NAME_RE.match(value):
        raise UsageError(f"'{value}' is not a valid template {what}",
                         hint="1-80 letters, digits, '_', '.', '+', '-'")
    return value


def now_version() -> str:
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%d%H%M%S")


def _dir(root: str, name: str, version: str) -> str:
    return os.path.join(root, name, version)


def image_path(root: str, name: str, version: str) -> str:
    return os.path.join(_dir(root, name, version), "image")


@contextlib.contextmanager
def locked(root: str, name: str) -> Iterator[None]:
    locks = os.path.join(root, ".locks")
    os.makedirs(locks, exist_ok=True)
    with flocked(os.path.join(locks, f"{name}.lock"), LOCK_TIMEOUT, f"template '{name}'"):
        yield


def sha256_file(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(CHUNK), b""):
            h.update(chunk)
    return h.hexdigest()


def entries(root: str, name: Optional[str] = None) -> List[Dict[str, Any]]:
    """Every stored version (of one template), oldest first by timestamp."""
    out = []
    names = [name] if name else sorted(os.listdir(root)) if os.path.isdir(root) else []
    for n in names:
        base = os.path.join(root, n)
        if n.startswith(".") or not os.path.isdir(base):
            continue
        for v in sorted(os.listdir(base)):
            meta = os.path.join(base, v, "meta.json")
            if not v.startswith(".") and os.path.isfile(meta):
                entry = read_json(meta)
                entry["path"] = image_path(root, n, v)
                out.append(entry)
    return sorted(out, key=lambda e: (e["name"], e["timestamp"], e["version"]))


def find(root: str, name: str, version: Optional[str] = None) -> Optional[Dict[str, Any]]:
    """One version, or the latest by timestamp; None when absent."""
    found = [e for e in entries(root, name) if version is None or e["version"] == version]
    return found[-1] if found else None


def resolve(root: str, name: str, version: Optional[str] = None) -> Dict[str, Any]:
    entry = find(root, name, version)
    if entry is None:
        what = f"'{name}'" + (f" version '{version}'" if version else "")
        raise NotFound(f"template {what} is not in the store {root}",
                       hint="import it with 'lago.pyz template add NAME PATH' or set "
                            "template_repo")
    return entry


def download_path(root: str, name: str, version: str, sha256: str) -> str:
    """Where a download of name/version waits to be complete (outside the store proper)."""
    d = os.path.join(root, ".downloads")
    os.makedirs(d, exist_ok=True)
    return os.path.join(d, f"{name}-{version}-{sha256[:16]}")


def import_stream(root: str, name: str, version: str, src: IO[bytes], *, fmt: str,
                  source: str, label: str, expected_sha256: Optional[str] = None,
                  xz: bool = False, timestamp: Optional[str] = None,
                  metadata: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
    """Copy src (unpacking .xz) into the store, hashing on the way; the caller holds the lock.

    A hash mismatch leaves nothing behind and names the file and both hashes (exit 1).
    """
    check_name("name", name)
    check_name("version", version)
    final = _dir(root, name, version)
    if os.path.exists(final):
        raise UsageError(f"template '{name}' version '{version}' is already in the store",
                         hint="give another --version")
    parent = os.path.join(root, name)
    os.makedirs(parent, exist_ok=True)
    for d in (root, parent):
        os.chmod(d, 0o755)
    tmp = tempfile.mkdtemp(prefix=".tmp-", dir=parent)
    try:
        digest = _copy(src, os.path.join(tmp, "image"), xz)
        if expected_sha256 and digest != expected_sha256.lower():
            raise ExternalError(f"{label}: sha256 mismatch: expected {expected_sha256.lower()}, "
                                f"got {digest}; nothing was stored",
                                hint="the repo index or the download is wrong; try again or "
                                     "ask the repo's owner")
        fmt = _checked_format(os.path.join(tmp, "image"), label)
        os.chmod(os.path.join(tmp, "image"), 0o644)
        meta = {"name": name, "version": version, "sha256": digest, "format": fmt,
                "timestamp": timestamp or now_version(), "source": source,
                "metadata": metadata or {}}
        write_json(os.path.join(tmp, "meta.json"), meta)
        os.chmod(tmp, 0o755)
        os.replace(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    meta["path"] = image_path(root, name, version)
    return meta


def _checked_format(path: str, label: str) -> str:
    """The image's format as its content shows it (not as a repo says: a qcow2 stored as
    raw, or the other way round, would be read wrongly). A template stands alone: a qcow2
    that names a backing or data file would show that host file to every guest made from
    it, and an export would copy that file into its flattened image."""
    refs = imagefile.references(path)
    if refs:
        raise UsageError(f"{label}: the image refers to other files ({', '.join(refs)}); "
                         "a template must stand alone; nothing was stored",
                         hint="flatten it first: qemu-img convert -O qcow2 IN OUT")
    return imagefile.sniff(path)


def _unpacked(src: IO[bytes], xz: bool) -> Iterator[bytes]:
    """``src`` in blocks of at most CHUNK bytes, unpacked if ``xz``. Each step unpacks at most
    CHUNK bytes (``max_length``): a small .xz that expands to gigabytes (a bomb) streams
    through this memory-bounded, and is hashed and refused like any wrong image."""
    if not xz:
        yield from iter(lambda: src.read(CHUNK), b"")
        return
    unpack = lzma.LZMADecompressor()
    while not unpack.eof:
        data = src.read(CHUNK) if unpack.needs_input else b""
        if unpack.needs_input and not data:
            raise ExternalError("the .xz stream ended early (truncated download?)")
        block = unpack.decompress(data, max_length=CHUNK)
        if block:
            yield block


def _copy(src: IO[bytes], dst: str, xz: bool) -> str:
    h = hashlib.sha256()
    with open(dst, "wb") as out:
        for chunk in _unpacked(src, xz):
            h.update(chunk)
            out.write(chunk)
        out.flush()
        os.fsync(out.fileno())
    return h.hexdigest()


def verify(root: str) -> List[Dict[str, Any]]:
    """Re-hash every stored image: [{"name","version","ok","expected","actual"}]."""
    out = []
    for e in entries(root):
        actual = sha256_file(e["path"]) if os.path.exists(e["path"]) else "missing"
        out.append({"name": e["name"], "version": e["version"], "ok": actual == e["sha256"],
                    "expected": e["sha256"], "actual": actual, "path": e["path"]})
    return out


def add_user(root: str, name: str, version: str, uuid: str, uuid_file: str,
             prefix: str) -> None:
    users = os.path.join(_dir(root, name, version), "users")
    os.makedirs(users, exist_ok=True)
    write_json(os.path.join(users, f"{uuid}.json"),
               {"uuid": uuid, "uuid_file": uuid_file, "prefix": prefix})


def live_users(root: str, name: str, version: str) -> List[str]:
    """Prefixes (paths) that still use this version."""
    users = os.path.join(_dir(root, name, version), "users")
    live = []
    for f in sorted(os.listdir(users)) if os.path.isdir(users) else []:
        rec = read_json(os.path.join(users, f))
        try:
            if read_small(rec["uuid_file"], 4096).strip() == rec["uuid"]:
                live.append(rec["prefix"])
        except OSError:
            continue
    return live


def gc(root: str, dry_run: bool = False) -> List[Dict[str, Any]]:
    """Remove every version no live prefix uses; returns what was (or would be) removed."""
    removed = []
    for name in sorted(os.listdir(root)) if os.path.isdir(root) else []:
        base = os.path.join(root, name)
        if name.startswith(".") or not os.path.isdir(base):
            continue
        with locked(root, name):  # no import of this template runs while we hold it
            for d in os.listdir(base):
                if d.startswith(".tmp-") and not dry_run:
                    shutil.rmtree(os.path.join(base, d), ignore_errors=True)
    for e in entries(root):
        with locked(root, e["name"]):
            if live_users(root, e["name"], e["version"]):
                continue
            removed.append({"name": e["name"], "version": e["version"], "path": e["path"]})
            if not dry_run:
                shutil.rmtree(_dir(root, e["name"], e["version"]))
    return removed
