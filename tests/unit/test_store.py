"""Template store and repos: verified imports, http downloads from 127.0.0.1, gc, env.lock."""
import functools
import hashlib
import http.server
import io
import json
import lzma
import os
import threading

import pytest

from lago import cli, envfile, repo, store, templates
from lago.errors import ExternalError, UsageError

IMAGE = b"QFI\xfb" + bytes(range(256)) * 64
SHA = hashlib.sha256(IMAGE).hexdigest()


def listing(root):
    out = []
    for base, dirs, files in os.walk(root):
        out += [os.path.relpath(os.path.join(base, f), root) for f in files
                if not f.endswith(".lock")]
    return sorted(out)


def put(root, name, version, data=IMAGE, timestamp=None, metadata=None):
    with store.locked(root, name):
        return store.import_stream(root, name, version, io.BytesIO(data), fmt="qcow2",
                                   source="test", label="test", timestamp=timestamp,
                                   metadata=metadata)


def test_import_hashes_and_lists_and_latest_is_by_timestamp(tmp_path):
    root = str(tmp_path / "store")
    put(root, "deb", "b", timestamp="20240101000000")
    put(root, "deb", "a", timestamp="20250101000000")
    assert [e["version"] for e in store.entries(root)] == ["b", "a"]
    assert store.resolve(root, "deb")["version"] == "a"
    entry = store.resolve(root, "deb", "b")
    assert entry["sha256"] == SHA and open(entry["path"], "rb").read() == IMAGE
    assert oct(os.stat(entry["path"]).st_mode & 0o777) == "0o644"
    with pytest.raises(UsageError, match="already in the store"):
        put(root, "deb", "a")


def test_missing_template_is_usage_error(tmp_path):
    with pytest.raises(UsageError, match="'nope' is not in the store"):
        store.resolve(str(tmp_path), "nope")


def test_verify_finds_a_corrupted_image(tmp_path):
    root = str(tmp_path)
    put(root, "a", "1")
    bad = put(root, "b", "1")
    with open(bad["path"], "r+b") as fh:
        fh.write(b"XXXX")
    results = {r["name"]: r for r in store.verify(root)}
    assert results["a"]["ok"] and not results["b"]["ok"]
    assert results["b"]["expected"] == SHA != results["b"]["actual"]


def test_gc_keeps_what_a_live_prefix_uses_and_removes_the_rest(tmp_path):
    root = str(tmp_path / "store")
    put(root, "used", "1"), put(root, "unused", "1"), put(root, "gone", "1")
    uuid_file = tmp_path / "uuid"
    uuid_file.write_text("u-1\n")
    store.add_user(root, "used", "1", "u-1", str(uuid_file), "/p")
    dead = tmp_path / "dead-uuid"  # a destroyed prefix: its uuid file no longer exists
    store.add_user(root, "gone", "1", "u-2", str(dead), "/q")
    os.makedirs(os.path.join(root, "used", ".tmp-crashed"))
    assert {r["name"] for r in store.gc(root, dry_run=True)} == {"unused", "gone"}
    removed = store.gc(root)
    assert {r["name"] for r in removed} == {"unused", "gone"}
    assert [e["name"] for e in store.entries(root)] == ["used"]
    assert not os.path.exists(os.path.join(root, "used", ".tmp-crashed"))


def test_sniff_format(tmp_path):
    (tmp_path / "q").write_bytes(IMAGE)
    (tmp_path / "r").write_bytes(b"\0" * 512)
    assert store.sniff_format(str(tmp_path / "q")) == "qcow2"
    assert store.sniff_format(str(tmp_path / "r")) == "raw"


# -- repos -------------------------------------------------------------------------------

class _Handler(http.server.SimpleHTTPRequestHandler):
    truncate = set()   # names served cut in half (once each), like a dropped connection
    ranges = []        # the Range headers received
    honour_range = True

    def log_message(self, *args):
        pass

    def do_GET(self):
        name = self.path.lstrip("/")
        rng = self.headers.get("Range")
        if rng:
            self.ranges.append(rng)
        if name not in self.truncate and not (rng and self.honour_range):
            return super().do_GET()
        data = open(os.path.join(self.directory, name), "rb").read()
        start = int(rng[len("bytes="):].rstrip("-")) if rng and self.honour_range else 0
        body = data[start:]
        self.send_response(206 if start else 200)
        if start:
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if name in self.truncate:  # announce the whole body, send half, hang up
            self.truncate.discard(name)
            body = body[: len(body) // 2]
            self.close_connection = True
        self.wfile.write(body)
        self.wfile.flush()


@pytest.fixture
def http_repo(tmp_path):
    """A repo directory served by http.server on 127.0.0.1 only."""
    served = tmp_path / "repo"
    served.mkdir()
    (served / "deb.qcow2.xz").write_bytes(lzma.compress(IMAGE))
    (served / "deb.qcow2").write_bytes(IMAGE)
    versions = {
        "1": {"handle": "deb.qcow2.xz", "sha256": SHA, "timestamp": "20240101000000",
              "metadata": {"distro": "debian"}},
        "bad": {"handle": "deb.qcow2", "sha256": "0" * 64, "timestamp": "20200101000000"},
        "cut": {"handle": "deb.qcow2", "sha256": SHA, "timestamp": "20200101000000"},
    }
    (served / "index.json").write_text(json.dumps({"templates": {"deb": {"versions": versions}}}))
    handler = functools.partial(_Handler, directory=str(served))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/index.json", served
    _Handler.truncate = set()
    _Handler.ranges = []
    _Handler.honour_range = True
    server.shutdown()
    server.server_close()


def test_http_download_unpacks_xz_and_verifies_before_storing(tmp_path, http_repo):
    url, _ = http_repo
    root = str(tmp_path / "store")
    entry = repo.fetch(root, url, "deb")  # latest by timestamp: "1"
    assert entry["version"] == "1" and entry["sha256"] == SHA
    assert open(entry["path"], "rb").read() == IMAGE
    assert entry["metadata"] == {"distro": "debian"}
    assert repo.fetch(root, url, "deb", "1")["path"] == entry["path"]  # no second download


def test_wrong_hash_exits_1_names_both_hashes_and_stores_nothing(tmp_path, http_repo,
                                                                 monkeypatch, capsys):
    url, _ = http_repo
    root = str(tmp_path / "store")
    monkeypatch.setenv("LAGO_TEMPLATE_STORE", root)
    monkeypatch.setenv("LAGO_TEMPLATE_REPO", url)
    code = cli.main(["-w", str(tmp_path / "w"), "template", "fetch", "deb", "--version", "bad"])
    err = capsys.readouterr().err
    assert code == 1
    assert "0" * 64 in err and SHA in err and "deb.qcow2" in err
    assert listing(root) == []


def test_interrupted_download_stores_nothing_and_the_next_try_resumes(tmp_path, http_repo):
    url, _ = http_repo
    _Handler.truncate = {"deb.qcow2"}
    root = str(tmp_path / "store")
    with pytest.raises(ExternalError, match="nothing was stored") as info:
        repo.fetch(root, url, "deb", "cut")
    assert "resumes" in info.value.hint
    # The half is kept aside for the next try, never in the store proper.
    assert store.entries(root) == []
    kept = [f for f in listing(root) if f.startswith(".downloads/")]
    assert listing(root) == kept and len(kept) == 1
    half = os.path.getsize(os.path.join(root, kept[0]))
    assert 0 < half < len(IMAGE)
    # The next fetch asks only for the rest and the result checks out.
    assert repo.fetch(root, url, "deb", "cut")["sha256"] == SHA
    assert _Handler.ranges == [f"bytes={half}-"]
    assert [e["version"] for e in store.entries(root)] == ["cut"]
    assert [f for f in listing(root) if f.startswith(".downloads/")] == []


def test_a_server_without_range_support_makes_the_next_try_start_over(tmp_path, http_repo):
    url, _ = http_repo
    _Handler.truncate = {"deb.qcow2"}
    _Handler.honour_range = False
    root = str(tmp_path / "store")
    with pytest.raises(ExternalError):
        repo.fetch(root, url, "deb", "cut")
    assert repo.fetch(root, url, "deb", "cut")["sha256"] == SHA
    assert len(_Handler.ranges) == 1  # asked, got 200 and the whole file, wrote it afresh


def test_directory_repo_and_file_url(tmp_path, http_repo):
    _, served = http_repo
    root = str(tmp_path / "store")
    assert repo.fetch(root, str(served), "deb", "1")["sha256"] == SHA
    assert repo.index_url(str(served)) == f"file://{served}/index.json"


# -- env.lock ----------------------------------------------------------------------------

def _template_env(tmp_path, version=None):
    ver = f", template_version: '{version}'" if version else ""
    path = tmp_path / "env.yaml"
    path.write_text("nets: {lan: {type: nat}}\ndomains:\n  vm0:\n    nics: [{net: lan}]\n"
                    f"    disks: [{{type: template, template_name: deb{ver}}}]\n")
    return envfile.load_env(str(path))


def test_env_lock_pins_on_first_init_and_a_changed_template_is_refused(tmp_path):
    root = str(tmp_path / "store")
    put(root, "deb", "1", timestamp="20240101000000", metadata={"distro": "debian"})
    env = _template_env(tmp_path)
    templates.resolve(env, root, "")
    disk = env.domains["vm0"].disks[0]
    assert disk.path == store.image_path(root, "deb", "1")
    assert env.domains["vm0"].distro == "debian"
    lock = json.loads((tmp_path / "env.lock").read_text())
    assert lock == {"templates": {"deb": {"version": "1", "sha256": SHA}}}

    # A newer version appears: the pin keeps the env on version 1.
    put(root, "deb", "2", data=IMAGE + b"x", timestamp="20250101000000")
    env = _template_env(tmp_path)
    templates.resolve(env, root, "")
    assert env.domains["vm0"].disks[0].template_version == "1"

    # Version 1 is replaced by different content: refused, naming the template.
    import shutil
    shutil.rmtree(os.path.join(root, "deb", "1"))
    put(root, "deb", "1", data=b"QFI\xfbchanged", timestamp="20240101000000")
    with pytest.raises(UsageError, match="template 'deb' version '1'") as info:
        templates.resolve(_template_env(tmp_path), root, "")
    assert info.value.exit_code == 2


def test_template_add_list_verify_through_the_cli(tmp_path, monkeypatch, capsys):
    root = str(tmp_path / "store")
    monkeypatch.setenv("LAGO_TEMPLATE_STORE", root)
    img = tmp_path / "img.qcow2"
    img.write_bytes(IMAGE)
    w = ["-w", str(tmp_path / "w")]
    assert cli.main(w + ["template", "add", "deb", str(img), "--version", "7"]) == 0
    capsys.readouterr()
    assert cli.main(w + ["--json", "template", "list"]) == 0
    rows = json.loads(capsys.readouterr().out)["templates"]
    assert [(r["name"], r["version"], r["sha256"], r["format"]) for r in rows] == [
        ("deb", "7", SHA, "qcow2")]
    assert cli.main(w + ["template", "verify"]) == 0
    with open(rows[0]["path"], "r+b") as fh:
        fh.write(b"junk")
    assert cli.main(w + ["template", "verify"]) == 1
    assert "CORRUPT" in capsys.readouterr().out


def test_validate_names_a_template_missing_from_store_and_repo(tmp_path, http_repo,
                                                              monkeypatch, capsys):
    url, _ = http_repo
    monkeypatch.setenv("LAGO_TEMPLATE_STORE", str(tmp_path / "store"))
    _template_env(tmp_path)
    envfile = str(tmp_path / "env.yaml")
    w = ["-w", str(tmp_path / "w")]
    assert cli.main(w + ["validate", envfile]) == 2
    assert "template 'deb' is not in the store" in capsys.readouterr().err
    monkeypatch.setenv("LAGO_TEMPLATE_REPO", url)
    assert cli.main(w + ["validate", envfile]) == 0  # the repo has it; nothing downloaded
    assert listing(str(tmp_path / "store")) == []


def test_a_download_shows_a_progress_line_on_a_terminal_and_clears_it(tmp_path, http_repo,
                                                                      monkeypatch, capsys):
    from lago import log
    url, _ = http_repo
    monkeypatch.setitem(log._progress, "on", True)   # what setup() does when stderr is a TTY
    monkeypatch.setitem(log._progress, "last", 0.0)
    repo.fetch(str(tmp_path / "store"), url, "deb", "1")
    err = capsys.readouterr().err
    assert "\rdeb 1: 100% " in err and err.endswith("\r\x1b[K")
