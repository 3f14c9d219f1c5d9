#!/usr/bin/env python3
"""Refresh vendor/ from the package index: the pinned releases in vendor/PINNED.json.

Each entry names a release file (a pure-Python wheel, or for PyYAML the sdist, whose
``lib/yaml`` is the pure-Python package), its sha256, which members to take and where its
licence is. Files are copied unmodified. A hash mismatch stops with nothing changed.

    python3 tools/vendor.py            # download, verify, unpack into vendor/
    python3 tools/vendor.py --check    # only verify the pinned hashes against the index
"""
from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import shutil
import sys
import tarfile
import tempfile
import urllib.request
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VENDOR = os.path.join(ROOT, "vendor")
PINNED = os.path.join(VENDOR, "PINNED.json")
INDEX = os.environ.get("LAGO_VENDOR_INDEX", "https://pypi.org/simple")


def release_url(project: str, filename: str) -> tuple:
    """(url, sha256) of one release file, from the index's JSON simple API (PEP 691)."""
    req = urllib.request.Request(f"{INDEX}/{project}/",
                                 headers={"Accept": "application/vnd.pypi.simple.v1+json"})
    with urllib.request.urlopen(req, timeout=60) as resp:
        listing = json.load(resp)
    for entry in listing["files"]:
        if entry["filename"] == filename:
            return entry["url"], entry["hashes"].get("sha256", "")
    raise SystemExit(f"vendor: {filename} is not on {INDEX}/{project}/")


def fetch(pin: dict) -> bytes:
    url, index_sha = release_url(pin["project"], pin["filename"])
    if index_sha and index_sha != pin["sha256"]:
        raise SystemExit(f"vendor: {pin['filename']}: the index says sha256 {index_sha}, "
                         f"PINNED.json says {pin['sha256']}")
    with urllib.request.urlopen(url, timeout=120) as resp:
        data = resp.read()
    got = hashlib.sha256(data).hexdigest()
    if got != pin["sha256"]:
        raise SystemExit(f"vendor: {pin['filename']}: downloaded sha256 {got}, "
                         f"expected {pin['sha256']}")
    return data


def members(data: bytes, filename: str) -> dict:
    """{archive path: bytes} of every regular file in a wheel or an sdist."""
    out = {}
    if filename.endswith(".whl"):
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            for info in zf.infolist():
                if not info.is_dir():
                    out[info.filename] = zf.read(info)
    else:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tf:
            for info in tf.getmembers():
                if info.isfile():
                    name = info.name.split("/", 1)[1]  # drop the top directory
                    out[name] = tf.extractfile(info).read()
    return out


def unpack(pin: dict, files: dict, dest: str) -> None:
    src = pin["package_dir"].rstrip("/") + "/"
    taken = 0
    for name, data in files.items():
        if name.startswith(src) and name.endswith(".py"):
            target = os.path.join(dest, pin["package"], name[len(src):])
            os.makedirs(os.path.dirname(target), exist_ok=True)
            with open(target, "wb") as fh:
                fh.write(data)
            taken += 1
    if not taken:
        raise SystemExit(f"vendor: no {src}*.py in {pin['filename']}")
    lic = os.path.join(dest, "LICENSES", f"{pin['project']}.txt")
    os.makedirs(os.path.dirname(lic), exist_ok=True)
    with open(lic, "wb") as fh:
        fh.write(files[pin["license"]])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="verify hashes only")
    args = ap.parse_args()
    with open(PINNED, encoding="utf-8") as fh:
        pins = json.load(fh)["packages"]
    staged = tempfile.mkdtemp(prefix=".vendor-", dir=ROOT)
    try:
        for pin in pins:
            data = fetch(pin)
            print(f"vendor: {pin['filename']} sha256 ok", file=sys.stderr)
            if not args.check:
                unpack(pin, members(data, pin["filename"]), staged)
        if args.check:
            return 0
        # Replace only what we own: the package directories and the licences.
        for pin in pins:
            shutil.rmtree(os.path.join(VENDOR, pin["package"]), ignore_errors=True)
            shutil.move(os.path.join(staged, pin["package"]), os.path.join(VENDOR, pin["package"]))
        shutil.rmtree(os.path.join(VENDOR, "LICENSES"), ignore_errors=True)
        shutil.move(os.path.join(staged, "LICENSES"), os.path.join(VENDOR, "LICENSES"))
    finally:
        shutil.rmtree(staged, ignore_errors=True)
    print("vendor: vendor/ refreshed", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
