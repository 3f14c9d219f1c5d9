"""The single-file build: reproducible bytes, a runnable file on every CPython 3.9–3.13 present,
and the vendored packages used from inside the archive."""
import glob
import hashlib
import json
import os
import subprocess
import sys
import zipfile

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def build(out, epoch=None):
    env = dict(os.environ)
    env.pop("SOURCE_DATE_EPOCH", None)
    if epoch is not None:
        env["SOURCE_DATE_EPOCH"] = str(epoch)
    subprocess.run([sys.executable, os.path.join(ROOT, "build.py"), "-o", str(out)],
                   check=True, capture_output=True, env=env)
    return out.read_bytes()


@pytest.fixture(scope="module")
def pyz(tmp_path_factory):
    path = tmp_path_factory.mktemp("build") / "lago.pyz"
    build(path)
    return path


def test_building_twice_gives_identical_bytes(tmp_path, pyz):
    again = build(tmp_path / "again.pyz")
    assert hashlib.sha256(again).hexdigest() == hashlib.sha256(pyz.read_bytes()).hexdigest()


def test_source_date_epoch_sets_every_entry_time(tmp_path):
    build(tmp_path / "a.pyz", epoch=1700000000)
    with zipfile.ZipFile(tmp_path / "a.pyz") as zf:
        stamps = {i.date_time for i in zf.infolist()}
    assert stamps == {(2023, 11, 14, 22, 13, 20)}


def test_archive_is_sorted_with_fixed_modes_and_a_tiny_main(pyz):
    data = pyz.read_bytes()
    assert data.startswith(b"#!/usr/bin/env python3\n")
    assert os.stat(pyz).st_mode & 0o777 == 0o755
    with zipfile.ZipFile(pyz) as zf:
        names = zf.namelist()
        assert names == sorted(names)
        assert {i.external_attr >> 16 for i in zf.infolist()} == {0o100644}
        assert not [n for n in names if "__pycache__" in n]
        # Every module has its bytecode beside it (zipimport's layout), nothing else does.
        modules = {n for n in names if n.endswith(".py") and n != "__main__.py"}
        assert {n for n in names if n.endswith(".pyc")} == {n + "c" for n in modules}
        assert len(zf.read("__main__.py").splitlines()) <= 5
        for pkg in ("yaml", "pexpect", "ptyprocess"):
            assert f"_vendor/{pkg}/__init__.py" in names
            assert f"_vendor/LICENSES/{'pyyaml' if pkg == 'yaml' else pkg}.txt" in names


def test_vendored_files_are_the_pinned_releases_unmodified():
    """Every vendored package is listed with version and sha256, and has its licence."""
    with open(os.path.join(ROOT, "vendor", "PINNED.json")) as fh:
        pins = json.load(fh)["packages"]
    assert {p["package"] for p in pins} == {"yaml", "pexpect", "ptyprocess"}
    for pin in pins:
        assert len(pin["sha256"]) == 64 and pin["version"] in pin["filename"]
        assert os.path.getsize(os.path.join(ROOT, "vendor", "LICENSES",
                                            pin["project"] + ".txt")) > 100
    # PyYAML: the pure-Python part only (no compiled _yaml extension).
    assert not glob.glob(os.path.join(ROOT, "vendor", "yaml", "*.so"))


def interpreters():
    found = {}
    for path in sorted(glob.glob("/root/.pyenv/versions/3.*/bin/python3")) + [sys.executable]:
        out = subprocess.run([path, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                             capture_output=True, text=True)
        ver = out.stdout.strip()
        if out.returncode == 0 and tuple(map(int, ver.split("."))) >= (3, 9):
            found.setdefault(ver, path)
    return sorted(found.items())


@pytest.mark.parametrize("ver,python", interpreters())
def test_version_and_help_run_on_each_cpython(pyz, ver, python):
    out = subprocess.run([python, "-I", str(pyz), "--version"], capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.startswith("lago.pyz "), out.stderr
    out = subprocess.run([python, "-I", str(pyz), "--help"], capture_output=True, text=True)
    assert out.returncode == 0 and "destroy" in out.stdout, out.stderr


def test_vendored_yaml_is_used_from_inside_the_archive(pyz, tmp_path):
    """-I hides the host's site-packages: the env file can only load through _vendor/yaml."""
    env = tmp_path / "env.yaml"
    env.write_text("nets: {lan: {type: nat}}\ndomains:\n  vm0:\n    nics: [{net: lan}]\n"
                   "    provision: none\n    disks: [{name: root, type: empty, size: 1G}]\n")
    out = subprocess.run([sys.executable, "-I", str(pyz), "validate", str(env)],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr


def test_this_interpreter_runs_the_bytecode_and_another_version_the_source(pyz, tmp_path):
    code = ("import sys; sys.path.insert(0, sys.argv[1]); import lago.env, lago.vendored; "
            "print(lago.env.__file__, lago.vendored.yaml().__file__)")

    def loaded(archive):
        return subprocess.run([sys.executable, "-I", "-c", code, str(archive)],
                              capture_output=True, text=True, check=True).stdout.split()
    assert loaded(pyz) == [f"{pyz}/lago/env.pyc", f"{pyz}/_vendor/yaml/__init__.pyc"]
    # Another CPython sees another magic number: the same archive with every magic changed
    # stands for it, and must fall back to the sources.
    other = tmp_path / "other.pyz"
    with zipfile.ZipFile(pyz) as src, zipfile.ZipFile(other, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename.endswith(".pyc"):
                data = b"\x00\x00" + data[2:]
            dst.writestr(info, data)
    assert loaded(other) == [f"{other}/lago/env.py", f"{other}/_vendor/yaml/__init__.py"]


def test_lago_is_importable_from_the_built_file_with_its_vendored_yaml(pyz, tmp_path):
    """The API from the archive itself (-I: no site-packages, no src/ on the path): the package,
    its lazy API and the env-file loader (vendored PyYAML) all come from inside lago.pyz."""
    env = tmp_path / "env.yaml"
    env.write_text("nets: {lan: {}}\ndomains:\n  vm0:\n    nics: [{net: wan}]\n"
                   "    disks: [{type: empty, size: 1G}]\n")
    code = f"""
import sys
sys.path.insert(0, {str(pyz)!r})
import lago
assert lago.__file__.startswith({str(pyz)!r}), lago.__file__
try:
    lago.load(workdir={str(tmp_path / ".lago")!r})
except lago.NotFound as exc:
    assert exc.exit_code == 2
else:
    raise AssertionError("no NotFound")
try:
    lago.init({str(env)!r}, workdir={str(tmp_path / ".lago")!r})
except lago.SpecError as exc:
    assert "unknown net 'wan'" in exc.problems[0], exc.problems
else:
    raise AssertionError("no SpecError")
yaml = sys.modules["yaml"]
assert yaml.__file__.startswith({str(pyz)!r}), yaml.__file__
print("ok", lago.api.__file__)
"""
    out = subprocess.run([sys.executable, "-I", "-c", code], capture_output=True, text=True,
                         cwd=str(tmp_path))
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("ok " + str(pyz))
