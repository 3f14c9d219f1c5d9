"""The security model (README "Security model"), one attack per test: an env file from
elsewhere, a guest, a template repo or another local user must not reach the host."""
import errno
import io
import json
import lzma
import os
import stat
import tarfile
import threading

import pytest

from lago import cli, envfile, fsutil, guestfs, inventory, leases, ssh, store, transfer
from lago.errors import UsageError

from test_hostile import BASE  # noqa: E402  (an env file; the clean cwd is conftest's here)


def validate(here, capsys, extra, disk=None):
    text = BASE.replace("    provision: none", "    provision: none\n" + extra)
    if disk:
        text = text.replace("{type: file, path: base.qcow2}", disk)
    (here / "env.yaml").write_text(text)
    code = cli.main(["validate", "env.yaml"])
    return code, capsys.readouterr().err


# -- 1. ssh-user and groups reach argv, ssh_config, the commands file, the inventory ----------

PROXY = "-oProxyCommand=touch /tmp/lago-pwned"
NEWLINE_USER = "root\n    ProxyCommand touch /tmp/lago-pwned"


@pytest.mark.parametrize("user", [PROXY, NEWLINE_USER, "a b", "u:file:/etc/shadow", "r@h",
                                  "%n", "-l", ""])
def test_an_ssh_user_that_is_no_login_name_is_refused_by_validate(here, capsys, user):
    code, err = validate(here, capsys, f"    ssh-user: {json.dumps(user)}\n")
    assert code == 2 and "ssh-user" in err and "Traceback" not in err


@pytest.mark.parametrize("group", ["web]\nvm0 ansible_ssh_common_args='-oProxyCommand=x'",
                                   "a b", "[x]", "a=b", "-"])
def test_an_ansible_group_that_would_add_inventory_lines_is_refused(here, capsys, group):
    code, err = validate(here, capsys, f"    groups: [{json.dumps(group)}]\n")
    assert code == 2 and "groups[0]" in err


def test_usual_users_and_groups_still_validate(here, capsys):
    for user in ("root", "cloud-user", "ec2-user", "Admin_1", "svc.deploy"):
        code, err = validate(here, capsys, f"    ssh-user: {user}\n    groups: [all-web, db_1]\n")
        assert code == 0, err


def test_the_ssh_destination_follows_a_double_dash_and_a_hostile_user_is_refused():
    t = ssh.Target("192.168.200.2", "root", "/k", "/kh")
    argv = ssh.command_argv(t, ["id"])
    assert argv[argv.index("--") + 1] == "root@192.168.200.2"
    assert ssh.control_argv(t, "check")[-2:] == ["--", "root@192.168.200.2"]
    for user in (PROXY, NEWLINE_USER):
        bad = ssh.Target("192.168.200.2", user, "/k", "/kh")
        with pytest.raises(UsageError):
            ssh.command_argv(bad, ["id"])
        with pytest.raises(UsageError):
            ssh.control_argv(bad, "check")
    with pytest.raises(UsageError):
        ssh.command_argv(ssh.Target("-oProxyCommand=x", "root", "/k", "/kh"), ["id"])


def facts(user="root", groups=("web",), key="/p/id_rsa"):
    return {"key": key, "known_hosts": "/p/known_hosts", "control_dir": "/p/ssh",
            "vms": {"vm0": {"ip": "192.168.200.2", "user": user, "groups": list(groups),
                            "names": ["vm0", "vm0.lago.local"]}}}


@pytest.mark.parametrize("make", [inventory.ssh_config, inventory.ansible_inventory])
@pytest.mark.parametrize("f", [facts(user=NEWLINE_USER), facts(user="a b"),
                               facts(groups=["web]\nvm0 ansible_user=x"]),
                               facts(key="/p/k\"\n    ProxyCommand x")])
def test_exports_refuse_values_that_would_add_lines_or_options(make, f):
    with pytest.raises(UsageError):
        make(f)


def test_exports_of_plain_facts_are_unchanged():
    text = inventory.ssh_config(facts())
    assert "    User root\n" in text and "ProxyCommand" not in text


@pytest.mark.parametrize("kwargs", [{"ssh_user": "u\nedit /etc/passwd:s/x/y/"},
                                    {"ssh_user": "u:file:/etc/shadow"},
                                    {"hostname": "vm\nedit /etc/shadow:s/a/b/"},
                                    {"uploads": [("/l\nrun-command id", "/g", "0644")]}])
def test_the_commands_file_never_gets_a_line_from_a_value(kwargs):
    args = {"hostname": "vm0", "pubkey_file": "/p/id_rsa.pub", **kwargs}
    with pytest.raises(ValueError):
        guestfs.sysprep_commands(**args)


# -- 2. a guest's tar stream: no set-user-ID, no guest owner, no link out ---------------------

def _tar(path, members):
    """members: (name, "file"|"dir"|"sym", mode or link target); files of uid 4242."""
    types = {"sym": tarfile.SYMTYPE, "dir": tarfile.DIRTYPE, "file": tarfile.REGTYPE}
    with tarfile.open(path, "w") as tf:
        for name, kind, extra in members:
            body = b"#!/bin/sh\nid\n" if kind == "file" else b""
            info = tarfile.TarInfo(name)
            info.type, info.size, info.uid, info.gid = types[kind], len(body), 4242, 4242
            info.linkname, info.mode = (extra, 0o777) if kind == "sym" else ("", extra)
            tf.addfile(info, io.BytesIO(body))


def test_unpack_drops_special_mode_bits_and_the_guests_owner(tmp_path):
    tar = str(tmp_path / "t.tar")
    _tar(tar, [("d", "dir", 0o3777), ("d/suid", "file", 0o4755), ("d/sgid", "file", 0o2750)])
    dest = tmp_path / "dest"
    dest.mkdir()
    assert transfer.unpack(tar, str(dest)) == []
    for name, mode in (("d/suid", 0o755), ("d/sgid", 0o750), ("d", 0o777)):
        st = os.lstat(dest / name)
        assert stat.S_IMODE(st.st_mode) == mode, name
        assert st.st_uid == os.geteuid()


def _links_out(root):
    root = os.path.realpath(root)
    paths = (os.path.join(top, n) for top, dirs, files in os.walk(root) for n in dirs + files)
    return [p for p in paths if os.path.islink(p)
            and not transfer.inside(root, os.path.realpath(p))]


@pytest.mark.parametrize("members", [
    [("a", "sym", "."), ("a/esc", "sym", "..")],
    [("a", "sym", "."), ("a/a/esc", "sym", "../..")],
    [("d", "dir", 0o755), ("d/sub", "dir", 0o755), ("x", "sym", "d/sub/../.."),
     ("d/sub", "sym", ".")],
    [("x", "sym", "y/.."), ("y", "sym", ".")],
])
def test_no_pair_of_links_makes_a_link_out_of_the_destination(tmp_path, members):
    tar = str(tmp_path / "t.tar")
    _tar(tar, members)
    dest = tmp_path / "box" / "dest"
    dest.mkdir(parents=True)
    transfer.unpack(tar, str(dest))
    assert _links_out(dest) == []


def test_a_copied_entry_links_nowhere_outside_itself(tmp_path):
    tar = str(tmp_path / "t.tar")
    _tar(tar, [("top", "dir", 0o755), ("top/a", "sym", "."), ("top/a/esc", "sym", ".."),
               ("top/in", "sym", "a"), ("other", "sym", "top")])
    dest = tmp_path / "dest"
    dest.mkdir()
    refused = transfer.unpack(tar, str(dest), top="top")
    assert _links_out(dest / "top") == [] and "other" in refused
    assert os.readlink(dest / "top" / "in") == "a"


# -- 3. and 9. lock files: never through a link, never others' to hold ------------------------

def test_a_lock_file_that_is_a_symlink_is_refused_and_its_target_untouched(tmp_path):
    victim = tmp_path / "victim"
    victim.write_text("precious")
    os.symlink(victim, tmp_path / ".lock")
    with pytest.raises(UsageError):
        with fsutil.flocked(str(tmp_path / ".lock"), 1, "x"):
            pass
    assert victim.read_text() == "precious"


def test_a_lock_file_hard_linked_to_another_file_is_locked_but_not_written(tmp_path):
    victim = tmp_path / "victim"
    victim.write_text("precious")
    os.link(victim, tmp_path / ".lock")
    with fsutil.flocked(str(tmp_path / ".lock"), 1, "x"):
        pass
    assert victim.read_text() == "precious"


def test_a_fifo_in_place_of_a_lock_file_is_refused(tmp_path):
    os.mkfifo(tmp_path / ".lock")
    with pytest.raises(UsageError):
        with fsutil.flocked(str(tmp_path / ".lock"), 1, "x"):
            pass


def test_the_lease_lock_file_is_private_even_when_an_older_lago_made_it(tmp_path):
    lease_dir = str(tmp_path / "subnets")
    owner = leases.Owner("/p", str(tmp_path / "uuid"), "u1")
    (tmp_path / "uuid").write_text("u1\n")
    pool = leases.parse_pool("192.168.200.0/24")
    leases.acquire(lease_dir, pool, owner, [None])
    lock = os.path.join(lease_dir, ".lock")
    assert stat.S_IMODE(os.stat(lock).st_mode) == 0o600
    os.chmod(lock, 0o644)
    leases.release(lease_dir, "u1")
    assert stat.S_IMODE(os.stat(lock).st_mode) == 0o600


# -- 4. lease files that lie ---------------------------------------------------------------------

def _lease(lease_dir, name, **data):
    os.makedirs(lease_dir, exist_ok=True)
    with open(os.path.join(lease_dir, name), "w") as fh:
        json.dump(data, fh)


def test_a_lease_naming_another_subnet_cannot_make_prune_delete_a_live_lease(tmp_path):
    lease_dir = str(tmp_path / "subnets")
    (tmp_path / "uuid").write_text("live\n")
    pool = leases.parse_pool("192.168.200.0/23")
    live = leases.Owner("/p", str(tmp_path / "uuid"), "live")
    got = leases.acquire(lease_dir, pool, live, [None])
    assert [str(s) for s in got] == ["192.168.200.0/24"]
    # A stale file whose content claims the live subnet.
    _lease(lease_dir, "192.168.201.0.json", subnet="192.168.200.0/24", uuid_path="/nope",
           uuid="gone")
    leases.prune(lease_dir)
    assert os.path.exists(os.path.join(lease_dir, "192.168.200.0.json"))
    mine = [l for l in leases.list_leases(lease_dir) if l.uuid == "live"]
    assert [str(l.subnet) for l in mine] == ["192.168.200.0/24"] and not mine[0].stale


def test_a_lease_naming_another_subnet_takes_nothing_over(tmp_path):
    lease_dir = str(tmp_path / "subnets")
    (tmp_path / "uuid").write_text("evil\n")
    _lease(lease_dir, "192.168.201.0.json", subnet="192.168.200.0/24",
           uuid_path=str(tmp_path / "uuid"), uuid="evil")
    held = {str(l.subnet): l.stale for l in leases.list_leases(lease_dir)}
    assert held == {"192.168.201.0/24": True}


@pytest.mark.parametrize("kind", ["fifo", "zero"])
def test_a_lease_owner_path_naming_a_fifo_or_dev_zero_neither_hangs_nor_fills_memory(
        tmp_path, kind):
    lease_dir = str(tmp_path / "subnets")
    owner = str(tmp_path / "fifo")
    if kind == "fifo":
        os.mkfifo(owner)
    else:
        owner = "/dev/zero"
    _lease(lease_dir, "192.168.200.0.json", subnet="192.168.200.0/24", uuid_path=owner, uuid="u")
    result = []
    t = threading.Thread(target=lambda: result.append(leases.list_leases(lease_dir)), daemon=True)
    t.start()
    t.join(10)
    assert result and [l.stale for l in result[0]] == [True]


def test_read_small_refuses_what_is_not_a_small_plain_file(tmp_path):
    big = tmp_path / "big"
    big.write_bytes(b"x" * 100)
    with pytest.raises(OSError) as exc:
        fsutil.read_small(str(big), 10)
    assert exc.value.errno == errno.EFBIG
    with pytest.raises(OSError):
        fsutil.read_small("/dev/zero")


# -- 5. an .xz bomb ----------------------------------------------------------------------------

def test_an_xz_bomb_is_unpacked_in_bounded_steps(tmp_path, monkeypatch):
    bomb = lzma.compress(b"\0" * (64 << 20), preset=9)  # 64 MiB from ~10 KB
    seen = []
    real = lzma.LZMADecompressor

    class Watched:
        def __init__(self):
            self.inner = real()

        def __getattr__(self, name):
            return getattr(self.inner, name)

        def decompress(self, data, max_length=-1):
            out = self.inner.decompress(data, max_length)
            seen.append(len(out))
            return out
    monkeypatch.setattr(lzma, "LZMADecompressor", Watched)
    with pytest.raises(Exception) as exc:
        store.import_stream(str(tmp_path / "store"), "t", "1", io.BytesIO(bomb), fmt="raw",
                            source="x", label="bomb", expected_sha256="0" * 64, xz=True)
    assert "sha256 mismatch" in str(exc.value)
    assert seen and max(seen) <= store.CHUNK
    assert not os.path.exists(tmp_path / "store" / "t" / "1")


# -- 6. images that name host files; bundles ----------------------------------------------------

def qcow2(path, backing=None, data_file=None):
    """A minimal qcow2 v3 header naming a backing file and/or an external data file."""
    import struct
    ext = b""
    if data_file:
        name = data_file.encode()
        ext += struct.pack(">II", 0x44415441, len(name)) + name + b"\0" * (-len(name) % 8)
    ext += struct.pack(">II", 0, 0)
    head_len = 104
    back = backing.encode() if backing else b""
    back_off = head_len + len(ext) if backing else 0
    incompatible = 1 << 2 if data_file else 0
    head = struct.pack(">4sIQIIQIIQQIIQQQQII", b"QFI\xfb", 3, back_off, len(back), 16,
                       1 << 20, 0, 0, 0, 0, 0, 0, 0, incompatible, 0, 0, 4, head_len)
    assert len(head) == head_len
    with open(path, "wb") as fh:
        fh.write(head + ext + back + b"\0" * 4096)


@pytest.mark.parametrize("refs", [{"backing": "/etc/hostname"}, {"backing": "../../x"},
                                  {"data_file": "/etc/shadow"}])
def test_template_add_refuses_an_image_that_names_a_host_file(here, capsys, monkeypatch, refs):
    monkeypatch.setenv("LAGO_TEMPLATE_STORE", str(here / "store"))
    qcow2(here / "evil.qcow2", **refs)
    assert cli.main(["template", "add", "evil", str(here / "evil.qcow2")]) == 2
    assert "refers to other files" in capsys.readouterr().err
    assert store.entries(str(here / "store")) == []
    qcow2(here / "fine.qcow2")
    assert cli.main(["template", "add", "fine", str(here / "fine.qcow2")]) == 0


def test_a_disk_said_to_be_raw_is_never_probed_into_qcow2():
    from lago import create, model
    raw = model.Disk(name="d", dev="vda", type="file", format="raw", path="/x")
    assert create.base_format_of(raw, probed="qcow2") == "raw"
    default = model.Disk(name="d", dev="vda", type="file", path="/x")
    assert create.base_format_of(default, probed="raw") == "raw"
    assert create.base_format_of(default, probed="qcow2") == "qcow2"


def make_bundle(here, disk_path="vm0-root.qcow2", backing=None):
    out = here / "bundle"
    out.mkdir()
    qcow2(out / "vm0-root.qcow2", backing=backing)
    doc = {"nets": {"lan": {}}, "domains": {"vm0": {
        "provision": "none", "nics": [{"net": "lan"}],
        "disks": [{"name": "root", "type": "file", "path": disk_path, "format": "qcow2"}]}}}
    (out / "env.json").write_text(json.dumps(doc))
    import hashlib
    digest = hashlib.sha256((out / "vm0-root.qcow2").read_bytes()).hexdigest()
    (out / "SHA256SUMS").write_text(f"{digest}  vm0-root.qcow2\n")
    return out


def test_a_bundle_as_exported_validates(here, capsys):
    out = make_bundle(here, backing="/var/lib/lago/store/t/1/image")  # layered: absolute
    assert cli.main(["validate", str(out / "env.json")]) == 0, capsys.readouterr().err


@pytest.mark.parametrize("attack", ["host-path", "tampered", "relative-backing", "bad-sums"])
def test_a_bundle_reaches_no_host_file_and_is_used_only_as_exported(here, capsys, attack):
    (here / "secret").write_text("root:x:0:0")
    if attack == "host-path":
        out = make_bundle(here, disk_path="../secret")
    elif attack == "relative-backing":
        out = make_bundle(here, backing="../secret")
    else:
        out = make_bundle(here)
        if attack == "tampered":
            with open(out / "vm0-root.qcow2", "ab") as fh:
                fh.write(b"changed")
        else:
            (out / "SHA256SUMS").write_text(f"{'0' * 64}  ../secret\n")
    assert cli.main(["validate", str(out / "env.json")]) == 2
    assert "SHA256SUMS" in capsys.readouterr().err
    assert cli.main(["-w", str(here / "w"), "init", str(out / "env.json")]) == 2
    assert not (here / "w").exists()


# -- 7. template repo indexes ----------------------------------------------------------------------

from test_store import SHA, http_repo, _Handler  # noqa: E402,F401  (the 127.0.0.1 repo)


def serve_index(served, versions):
    (served / "index.json").write_text(json.dumps({"templates": {"deb": {"versions": versions}}}))


def test_an_http_index_cannot_point_at_a_local_file(tmp_path, http_repo):
    from lago import repo
    from lago.errors import ExternalError
    url, served = http_repo
    secret = tmp_path / "secret"
    secret.write_text("root:x:0:0")
    import hashlib
    leaked = hashlib.sha256(secret.read_bytes()).hexdigest()
    serve_index(served, {"1": {"source": f"file://{secret}", "sha256": "0" * 64}})
    with pytest.raises(ExternalError) as exc:
        repo.fetch(str(tmp_path / "store"), url, "deb", "1")
    assert leaked not in str(exc.value) and "may not point" in str(exc.value)


def test_an_index_version_cannot_become_a_path_out_of_the_store(tmp_path, http_repo):
    from lago import repo
    from lago.errors import ExternalError
    url, served = http_repo
    root = tmp_path / "a" / "store"
    (root / ".downloads" / "deb-x").mkdir(parents=True)  # so the '..'s can resolve
    version = "x/../../../escaped"
    serve_index(served, {version: {"handle": "deb.qcow2", "sha256": SHA}})
    with pytest.raises(ExternalError):
        repo.fetch(str(root), url, "deb", version)
    assert [f for _, _, files in os.walk(tmp_path) for f in files if "escaped" in f] == []


@pytest.mark.parametrize("templates", [{"deb": []}, {"deb": {"versions": []}},
                                       {"deb": {"versions": {"1": "x"}}},
                                       {"deb": {"versions": {"1": {"sha256": 5}}}},
                                       {"deb": {"versions": {"1": {"handle": ["x"],
                                                                   "sha256": SHA}}}}])
def test_a_malformed_index_is_an_error_not_a_traceback(tmp_path, http_repo, templates):
    from lago import repo
    from lago.errors import ExternalError
    url, served = http_repo
    (served / "index.json").write_text(json.dumps({"templates": templates}))
    with pytest.raises(ExternalError):
        repo.fetch(str(tmp_path / "store"), url, "deb", "1")


# -- 8. template_name is a store name --------------------------------------------------------------

@pytest.mark.parametrize("name", ["../../etc", "/etc/passwd", "a/../../b", ".hidden"])
def test_a_template_name_with_a_path_in_it_is_refused(here, name):
    from lago.errors import SpecError
    (here / "env.yaml").write_text(BASE.replace(
        "{type: file, path: base.qcow2}", f"{{type: template, template_name: {json.dumps(name)}}}"))
    with pytest.raises(SpecError) as exc:
        envfile.load_env(str(here / "env.yaml"))
    assert "template_name" in str(exc.value.problems)


# -- 10. the debug log --------------------------------------------------------------------------------

def test_the_debug_log_is_private_from_the_start_and_never_written_through_a_link(tmp_path):
    from lago import log
    victim = tmp_path / "victim"
    victim.write_text("x")
    os.chmod(victim, 0o644)
    os.symlink(victim, tmp_path / "lago.log")
    with pytest.raises(OSError):
        log.attach_file(str(tmp_path / "lago.log"))
    assert stat.S_IMODE(os.stat(victim).st_mode) == 0o644 and victim.read_text() == "x"
    old = os.umask(0)
    try:
        path = str(tmp_path / "new.log")
        log.attach_file(path)
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    finally:
        os.umask(old)
        log.detach_file(str(tmp_path / "new.log"))


def test_a_file_over_a_directory_of_the_stream_is_refused_not_a_traceback(tmp_path):
    tar = str(tmp_path / "t.tar")
    _tar(tar, [("d", "dir", 0o755), ("d", "file", 0o644), ("d", "sym", ".")])
    (tmp_path / "dest").mkdir()
    assert transfer.unpack(tar, str(tmp_path / "dest")) == ["d", "d"]
    assert os.path.isdir(tmp_path / "dest" / "d")


def test_a_build_step_cannot_run_perl_on_the_host_through_edit(here, tmp_path):
    """virt-customize's ``edit`` evaluates its expression on the host: a build step in an env
    file from elsewhere must not reach it (nor a line of the sysprep commands file)."""
    from lago import guestfs
    found = dict(guestfs.customize_problems({"edit": "/etc/motd:system('touch /tmp/pwned')"}))
    assert "host" in found["edit"]
    assert "edit" not in guestfs.CUSTOMIZE_OPTIONS
