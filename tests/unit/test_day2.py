"""Day-2 pure parts: snapshot names and argv, ssh reuse options, scripts, tar safety."""
import io
import os
import stat
import tarfile

import pytest

from lago import parallel, runner, snapshots, ssh, transfer, virsh
from lago.commands import snapshot as snapshot_cmd
from lago.commands import ssh as ssh_cmd
from lago.commands import status
from lago.errors import UsageError

T = ssh.Target("192.168.200.2", "root", "/p/id_rsa", "/p/known_hosts", control_dir="/p/ssh")


@pytest.mark.parametrize("name", ["s1", "before-upgrade", "v1.2_rc", "A" * 64])
def test_good_snapshot_names(name):
    assert snapshots.validate_name(name) == name


@pytest.mark.parametrize("name", ["", "-x", ".hidden", "a/b", "../x", "a b", "A" * 65, "ü"])
def test_bad_snapshot_names_are_usage_errors(name):
    with pytest.raises(UsageError):
        snapshots.validate_name(name)


def test_snapshot_argv_is_internal_and_atomic_and_revert_can_pause():
    assert virsh.snapshot_create_argv("qemu:///system", "lago-1-a", "s1") == [
        "virsh", "-q", "-c", "qemu:///system", "snapshot-create-as", "lago-1-a", "s1",
        "--atomic"]
    assert "--disk-only" not in virsh.snapshot_create_argv("u", "d", "s")
    assert virsh.snapshot_revert_argv("u", "d", "s", paused=True)[-3:] == [
        "s", "--force", "--paused"]
    assert "--paused" not in virsh.snapshot_revert_argv("u", "d", "s")
    assert virsh.snapshot_delete_argv("u", "d", "s")[-3:] == ["snapshot-delete", "d", "s"]


def test_ssh_reuses_a_master_connection_with_a_relative_socket_path():
    argv = ssh.command_argv(T, ["true"])
    assert "ControlMaster=auto" in argv
    # Relative: ssh runs in the control dir, so a deep prefix never hits the 108-byte limit.
    assert "ControlPath=%C" in argv
    assert any(a.startswith("ControlPersist=") for a in argv)
    plain = ssh.Target("h", "u", "k", "kh")
    assert not any("Control" in a for a in ssh.command_argv(plain, ["true"]))
    check = ssh.control_check_argv(T)
    assert check[-4:] == ["-O", "check", "--", "root@192.168.200.2"]


def test_script_command_runs_the_stdin_script_with_args_and_keeps_its_exit_code(tmp_path):
    script = tmp_path / "s.sh"
    script.write_text("#!/bin/sh\necho \"args:$*\"\nexit 5\n")
    out = tmp_path / "out"
    res = runner.run_files(ssh.script_command(["a b", "c"]), stdin_path=str(script),
                           stdout_path=str(out), ok_codes=range(256))
    assert res.returncode == 5
    assert out.read_text() == "args:a b c\n"


@pytest.mark.parametrize("given,words,expect", [
    (None, ["-s", "x.sh"], ("x.sh", [])),
    (None, ["-s", "x.sh", "--", "a"], ("x.sh", ["a"])),
    (None, ["--script=x.sh"], ("x.sh", [])),
    (None, ["--", "sh", "-c", "exit 3"], (None, ["sh", "-c", "exit 3"])),
    ("y.sh", ["--", "a"], ("y.sh", ["a"])),
    (None, ["ls", "-s"], (None, ["ls", "-s"])),
])
def test_ssh_verb_splits_script_from_command(given, words, expect):
    assert ssh_cmd.split_command(given, words) == expect


def _tree(root):
    os.makedirs(os.path.join(root, "d", "sub"))
    with open(os.path.join(root, "d", "run.sh"), "w") as fh:
        fh.write("#!/bin/sh\n")
    os.chmod(os.path.join(root, "d", "run.sh"), 0o750)
    with open(os.path.join(root, "d", "sub", "secret"), "w") as fh:
        fh.write("x")
    os.chmod(os.path.join(root, "d", "sub", "secret"), 0o600)
    os.chmod(os.path.join(root, "d", "sub"), 0o555)
    os.symlink("sub/secret", os.path.join(root, "d", "link"))


def test_pack_unpack_round_trip_keeps_modes_and_links(tmp_path):
    _tree(str(tmp_path / "src"))
    tar = str(tmp_path / "t.tar")
    transfer.pack(str(tmp_path / "src" / "d"), "d", tar)
    (tmp_path / "dst").mkdir()
    assert transfer.unpack(tar, str(tmp_path / "dst")) == []
    d = tmp_path / "dst" / "d"
    assert stat.S_IMODE(os.stat(d / "run.sh").st_mode) == 0o750
    assert stat.S_IMODE(os.stat(d / "sub" / "secret").st_mode) == 0o600
    assert stat.S_IMODE(os.stat(d / "sub").st_mode) == 0o555
    assert os.readlink(d / "link") == "sub/secret"
    os.chmod(d / "sub", 0o755)


def _hostile_tar(path, members):
    with tarfile.open(path, "w") as tf:
        for name, kind, target in members:
            info = tarfile.TarInfo(name)
            data = b""
            if kind == "sym":
                info.type, info.linkname = tarfile.SYMTYPE, target
            elif kind == "hard":
                info.type, info.linkname = tarfile.LNKTYPE, target
            elif kind == "dev":
                info.type = tarfile.CHRTYPE
            else:
                data = b"pwned"
                info.size = len(data)
            tf.addfile(info, io.BytesIO(data))


def test_unpack_writes_nothing_outside_the_destination(tmp_path):
    dest = tmp_path / "box" / "dest"
    dest.mkdir(parents=True)
    outside = tmp_path / "box" / "victim"
    outside.write_text("safe")
    tar = str(tmp_path / "evil.tar")
    _hostile_tar(tar, [
        ("../victim", "file", None),
        ("/abs", "file", None),
        ("a/../../victim", "file", None),
        ("up", "sym", ".."),
        ("up/victim", "file", None),
        ("abs", "sym", str(outside)),
        ("hl", "hard", "../victim"),
        ("dot", "sym", "."),
        ("esc", "sym", "dot/.."),
        ("esc/victim", "file", None),
        ("null", "dev", None),
        ("fine", "file", None),
    ])
    refused = transfer.unpack(tar, str(dest))
    assert outside.read_text() == "safe"
    assert sorted(os.listdir(tmp_path / "box")) == ["dest", "victim"]
    assert "fine" in os.listdir(dest) and "fine" not in refused
    for name in ("../victim", "/abs", "a/../../victim", "up", "abs", "hl", "null"):
        assert name in refused


def test_a_symlink_already_in_the_destination_is_replaced_not_followed(tmp_path):
    dest = tmp_path / "dest"
    dest.mkdir()
    outside = tmp_path / "victim"
    outside.write_text("safe")
    os.symlink(str(outside), dest / "f")
    tar = str(tmp_path / "t.tar")
    _hostile_tar(tar, [("f", "file", None)])
    transfer.unpack(tar, str(dest))
    assert outside.read_text() == "safe"
    assert (dest / "f").read_text() == "pwned" and not os.path.islink(dest / "f")


def test_parallel_settle_collects_every_result_and_error():
    def fn(x):
        if x == "b":
            raise ValueError(x)
        return x * 2
    results, errors = parallel.settle(["a", "b", "c"], fn)
    assert results == {"a": "aa", "c": "cc"}
    assert list(errors) == ["b"]
    with pytest.raises(ValueError):
        parallel.each(["a", "b"], fn)


def test_parallel_each_runs_at_most_the_workers_given():
    import threading
    import time
    lock, running, peak = threading.Lock(), [0], [0]

    def fn(x):
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
        time.sleep(0.05)
        with lock:
            running[0] -= 1
        return x
    assert parallel.each(list("abcd"), fn, workers=1) == {k: k for k in "abcd"}
    assert peak[0] == 1
    parallel.each(list("abcd"), fn)
    assert peak[0] == 4


def test_snapshots_are_rendered_in_status_and_list():
    data = {"prefix": "p", "path": "/x", "uuid": "u", "domain_type": "qemu", "nets": {},
            "vms": {}, "snapshots": [{"name": "s1", "created": "2026-01-01T00:00:00+00:00",
                                      "vms": {"vm0": "running"}}]}
    lines = status.render(data)
    assert "SNAPSHOT" in lines and any(l.split()[:1] == ["s1"] for l in lines)
    assert "SNAPSHOT" not in status.render(dict(data, snapshots=[]))
    assert snapshot_cmd.render_list([]) == ["no snapshots"]
    assert "vm0=running" in snapshot_cmd.render_list(data["snapshots"])[1]


def test_unpack_of_nothing_or_garbage(tmp_path):
    from lago.errors import ExternalError
    empty = tmp_path / "empty.tar"
    empty.write_bytes(b"")
    assert transfer.unpack(str(empty), str(tmp_path)) == []
    junk = tmp_path / "junk.tar"
    junk.write_bytes(b"not a tar at all" * 100)
    with pytest.raises(ExternalError):
        transfer.unpack(str(junk), str(tmp_path))


def test_destroying_a_stopped_network_counts_as_already_done():
    # The exact text of libvirt 9.0 (seen in the lab: destroy of an env whose VMs were stopped).
    err = ("error: Failed to destroy network lago-ed4f50a4-lan\nerror: Requested operation "
           "is not valid: network 'lago-ed4f50a4-lan' is not active\n")
    assert virsh.is_missing(err, virsh._NO_NETWORK)
    assert not virsh.is_missing("error: permission denied", virsh._NO_NETWORK)
