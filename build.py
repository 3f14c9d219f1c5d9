#!/usr/bin/env python3
"""Build lago.pyz: a reproducible zipapp of src/lago and the vendored packages.

The same sources give the same bytes: entries sorted, one timestamp for every entry
(SOURCE_DATE_EPOCH, default 1980-01-01), fixed modes; the archive is written beside the target
and moved into place, so a failed build never leaves half a file.

Beside every module goes its bytecode for the building interpreter (``name.pyc``, with the
source's hash and no timestamps): zipimport cannot cache compiled code, so without it every
run would compile each module it imports. Another Python version finds the magic number wrong
and compiles the source, as before. The hash is not checked at import (a .pyc and its source
are written together, into one archive nobody edits in place): a checked one made every
import read and inflate the source too. The bytecode is stored, not deflated: inflating it
cost every run ~2 ms (`lago.pyz ssh VM -- true` imports ~25 modules) for ~0.8 MB of file.

    python3 build.py [-o lago.pyz]
"""
from __future__ import annotations

import argparse
import os
import py_compile
import stat
import sys
import tempfile
import time
import zipfile

ROOT = os.path.dirname(os.path.abspath(__file__))
SHEBANG = b"#!/usr/bin/env python3\n"
MAIN = (b"import sys\n"
        b"from lago.cli import main\n"
        b"sys.exit(main())\n")
# (source directory, name inside the archive)
TREES = [("src/lago", "lago"), ("vendor/yaml", "_vendor/yaml"),
         ("vendor/pexpect", "_vendor/pexpect"), ("vendor/ptyprocess", "_vendor/ptyprocess"),
         ("vendor/LICENSES", "_vendor/LICENSES"), ("vendor/PINNED.json", "_vendor/PINNED.json")]
SKIP_DIRS = {"__pycache__"}
SKIP_SUFFIXES = (".pyc", ".pyo")


def timestamp() -> tuple:
    epoch = max(int(os.environ.get("SOURCE_DATE_EPOCH", "315532800")), 315532800)
    return time.gmtime(epoch)[:6]


def entries() -> list:
    """[(archive name, bytes)], sorted by name."""
    out = {"__main__.py": MAIN}
    for src, dest in TREES:
        path = os.path.join(ROOT, src)
        if os.path.isfile(path):
            out[dest] = _read(path)
            continue
        if not os.path.isdir(path):
            raise SystemExit(f"build: {src} is missing (run 'make vendor' for vendor/)")
        for dirpath, dirnames, filenames in os.walk(path):
            dirnames[:] = [d for d in dirnames if d not in SKIP_DIRS]
            for name in filenames:
                if name.endswith(SKIP_SUFFIXES):
                    continue
                full = os.path.join(dirpath, name)
                rel = os.path.relpath(full, path).replace(os.sep, "/")
                out[f"{dest}/{rel}"] = _read(full)
    return sorted(out.items())


def with_bytecode(files: list) -> list:
    """[(name, bytes)] plus an unchecked-hash ``.pyc`` for every ``.py`` (legacy layout, the one
    zipimport reads), sorted by name."""
    out = dict(files)
    with tempfile.TemporaryDirectory() as tmp:
        for name, data in files:
            if not name.endswith(".py") or name == "__main__.py":
                continue
            src = os.path.join(tmp, "m.py")
            with open(src, "wb") as fh:
                fh.write(data)
            mode = py_compile.PycInvalidationMode.UNCHECKED_HASH
            cfile = py_compile.compile(src, cfile=os.path.join(tmp, "m.pyc"), dfile=name,
                                       doraise=True, optimize=0, invalidation_mode=mode)
            out[name + "c"] = _read(cfile)
    return sorted(out.items())


def _read(path: str) -> bytes:
    with open(path, "rb") as fh:
        return fh.read()


def build(target: str) -> None:
    when = timestamp()
    directory = os.path.dirname(os.path.abspath(target))
    fd, tmp = tempfile.mkstemp(prefix=".lago.pyz-", dir=directory)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(SHEBANG)
            with zipfile.ZipFile(fh, "w", compression=zipfile.ZIP_DEFLATED) as zf:
                for name, data in with_bytecode(entries()):
                    info = zipfile.ZipInfo(name, date_time=when)
                    info.compress_type = zipfile.ZIP_STORED if name.endswith(".pyc") \
                        else zipfile.ZIP_DEFLATED
                    info.external_attr = (stat.S_IFREG | 0o644) << 16
                    info.create_system = 3  # unix, whatever the build host
                    zf.writestr(info, data, compresslevel=9)
        os.chmod(tmp, 0o755)
        os.replace(tmp, target)
    except BaseException:
        os.unlink(tmp)
        raise


def main() -> int:
    ap = argparse.ArgumentParser(description="build lago.pyz")
    ap.add_argument("-o", "--output", default=os.path.join(ROOT, "lago.pyz"))
    args = ap.parse_args()
    build(args.output)
    print(f"build: wrote {args.output} ({os.path.getsize(args.output)} bytes)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
