"""Template repos (SPEC §6): an index JSON from a directory, file:// or http(s)://.

Index format (``index.json`` in a directory repo; any URL for the others)::

    {"templates": {NAME: {"versions": {VERSION: {
        "handle": "debian12.qcow2.xz",   # relative to the index, or "source": absolute URL/path
        "sha256": "...",                 # of the image as stored (after .xz is unpacked)
        "format": "qcow2", "timestamp": "20240101120000", "metadata": {"distro": "debian"}}}}}}

A download goes to ``STORE/.downloads/NAME-VERSION-SHA`` (as served: compressed if it is), and
an interrupted one resumes there on the next try when the server honours ``Range``; a progress
line shows on a terminal. The complete file is then unpacked and hashed into a temp directory
of the store, and only a matching image is renamed into its place.
"""
from __future__ import annotations

import http.client
import json
import lzma
import os
import re
import urllib.parse
import urllib.request
from typing import IO, Any, Dict, Optional, Union

from . import store
from .errors import ExternalError, NotFound, UsageError
from .log import progress, progress_end

INDEX_NAME = "index.json"
HTTP_TIMEOUT = 60.0


def index_url(repo: str) -> str:
    """The index location: a directory means its index.json; URLs are taken as they are."""
    if "://" not in repo:
        path = os.path.abspath(repo)
        return "file://" + (os.path.join(path, INDEX_NAME) if os.path.isdir(path) else path)
    return repo


def _open(url: Union[str, urllib.request.Request]) -> IO[bytes]:
    where = url.full_url if isinstance(url, urllib.request.Request) else url
    scheme = urllib.parse.urlsplit(where).scheme
    if scheme not in ("file", "http", "https"):
        raise UsageError(f"unsupported repo URL scheme '{scheme}' in {where}",
                         hint="use a directory, file://, http:// or https://")
    try:
        return urllib.request.urlopen(url, timeout=HTTP_TIMEOUT)  # noqa: S310 (scheme checked)
    except (OSError, ValueError) as exc:
        raise ExternalError(f"cannot read {where}: {exc}") from None


def load_index(repo: str) -> Dict[str, Any]:
    url = index_url(repo)
    with _open(url) as fh:
        try:
            data = json.loads(fh.read().decode("utf-8"))
        except ValueError as exc:
            raise ExternalError(f"{url}: not a valid repo index ({exc})") from None
    if not isinstance(data, dict) or not isinstance(data.get("templates"), dict):
        raise ExternalError(f"{url}: a repo index needs a 'templates' mapping")
    return data


_SHA256_RE = re.compile(r"^[0-9a-fA-F]{64}$")
# Fields of a version record and what each must be (an index is data from elsewhere).
_FIELDS = {"handle": str, "source": str, "sha256": str, "format": str,
           "timestamp": (str, int), "metadata": dict}


def _versions(index: Dict[str, Any], name: str, where: str) -> Dict[str, Any]:
    """The template's versions, each a checked record; ExternalError for a malformed one."""
    entry = index["templates"].get(name, {})
    versions = entry.get("versions", {}) if isinstance(entry, dict) else None
    if not isinstance(versions, dict):
        raise ExternalError(f"{where}: template '{name}' is not a mapping with 'versions'")
    for ver, record in versions.items():
        bad = [k for k, t in _FIELDS.items()
               if isinstance(record, dict) and record.get(k) is not None
               and not isinstance(record[k], t)]
        if not isinstance(record, dict) or bad:
            raise ExternalError(f"{where}: template '{name}' version '{ver}' is malformed"
                                + (f" ({', '.join(bad)})" if bad else ""))
    return versions


def pick(index: Dict[str, Any], name: str, version: Optional[str], where: str) -> tuple:
    """(version, record): the one asked for, or the latest by timestamp."""
    versions = _versions(index, name, where)
    if version is not None:
        if version not in versions:
            raise NotFound(f"template '{name}' version '{version}' is not in the repo {where}")
        return version, versions[version]
    if not versions:
        raise NotFound(f"template '{name}' is not in the repo {where}")
    best = max(versions, key=lambda v: (str(versions[v].get("timestamp", "")), v))
    return best, versions[best]


def source_url(record: Dict[str, Any], index_location: str) -> str:
    """Where the image is. An index served over http(s) names only http(s) images: one
    that named a local file (``file:///etc/shadow``) would have lago read it and print its
    hash."""
    if record.get("source"):
        url = index_url(record["source"]) if "://" not in record["source"] else record["source"]
    elif record.get("handle"):
        url = urllib.parse.urljoin(index_location, record["handle"])
    else:
        raise ExternalError(f"{index_location}: a version needs 'handle' or 'source'")
    remote = ("http", "https")
    if urllib.parse.urlsplit(index_location).scheme in remote and \
            urllib.parse.urlsplit(url).scheme not in remote:
        raise ExternalError(f"{index_location}: an http repo may not point at {url}",
                            hint="a remote index names http:// or https:// images only")
    return url


def fetch(root: str, repo: str, name: str, version: Optional[str] = None) -> Dict[str, Any]:
    """Make sure name/version is in the store (downloading it once); returns its entry.

    Under the template's lock: two envs wanting the same template wait for one download.
    """
    store.check_name("name", name)
    where = index_url(repo)
    index = load_index(repo)
    ver, record = pick(index, name, version, where)
    try:
        # It becomes a directory name in the store (and part of the download's file name).
        store.check_name("version", ver)
    except UsageError as exc:
        raise ExternalError(f"{where}: template '{name}': {exc.message}") from None
    if not _SHA256_RE.match(record.get("sha256") or ""):
        raise ExternalError(f"{where}: {name} {ver} has no sha256; refusing unverified images")
    with store.locked(root, name):
        have = store.find(root, name, ver)
        if have is not None:
            return have
        url = source_url(record, where)
        partial = store.download_path(root, name, ver, record["sha256"])
        try:
            download(url, partial, label=f"{name} {ver}")
        except (OSError, http.client.HTTPException) as exc:
            got = os.path.getsize(partial) if os.path.exists(partial) else 0
            raise ExternalError(f"download of {url} failed: {exc!r}; nothing was stored "
                                f"({got} bytes kept in {partial})",
                                hint="run the same command again: the download resumes") from None
        try:
            with open(partial, "rb") as src:
                entry = store.import_stream(
                    root, name, ver, src, fmt=record.get("format", "qcow2"), source=url,
                    label=url, expected_sha256=record["sha256"],
                    xz=urllib.parse.urlsplit(url).path.endswith(".xz"),
                    timestamp=str(record.get("timestamp") or store.now_version()),
                    metadata=record.get("metadata") or {})
        except (ExternalError, UsageError, EOFError, lzma.LZMAError) as exc:
            # A complete download that does not check out is wrong, not interrupted: drop it,
            # so the next try fetches it afresh. import_stream removed its temp directory.
            os.unlink(partial)
            if isinstance(exc, (ExternalError, UsageError)):
                raise
            raise ExternalError(f"{url}: cannot unpack: {exc!r}; nothing was stored") from None
        os.unlink(partial)
        return entry


def download(url: str, path: str, label: str = "") -> None:
    """Fetch url into path, continuing a partial file when the server answers a Range request
    with 206 (otherwise it starts over). Raises OSError/HTTPException when cut short."""
    have = os.path.getsize(path) if os.path.exists(path) else 0
    req = urllib.request.Request(url, headers={"Range": f"bytes={have}-"} if have else {})
    try:
        resp = _open(req)
    except ExternalError:
        if not have:
            raise
        os.unlink(path)  # e.g. 416: the partial no longer fits what is served
        return download(url, path, label)
    with resp:
        if have and getattr(resp, "status", None) != 206:
            have = 0
        length = resp.headers.get("Content-Length")
        total = have + int(length) if length and length.isdigit() else None
        done = have
        with open(path, "ab" if have else "wb") as out:
            while True:
                block = resp.read(1 << 20)
                if not block:
                    break
                out.write(block)
                done += len(block)
                progress(label or url, done, total)
        progress_end()
        if total is not None and done < total:
            raise http.client.IncompleteRead(b"", total - done)
