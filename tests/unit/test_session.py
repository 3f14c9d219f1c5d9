"""session: which boot of a VM a master connection belongs to, read from libvirt's pid file and
/proc (the lab test restarts a VM under it), and a VM by name or suffix."""
import os
import subprocess
import sys

import pytest

from lago import session, ssh
from lago.errors import NotFound, UsageError
from lago.state import State, VmState


def _start_ticks(pid):
    with open(f"/proc/{pid}/stat") as fh:
        return fh.read().rsplit(")", 1)[1].split()[19]


def _pidfile(run_dir, domain, pid):
    (run_dir / f"{domain}.pid").write_text(f"{pid}")


def test_a_domains_qemu_process_is_its_pid_and_start_time(tmp_path):
    _pidfile(tmp_path, "dom", os.getpid())
    assert session.qemu_process(str(tmp_path), "dom") == f"{os.getpid()}:{_start_ticks('self')}"


def test_another_process_is_another_boot(tmp_path):
    _pidfile(tmp_path, "dom", os.getpid())
    mine = session.qemu_process(str(tmp_path), "dom")
    with subprocess.Popen(["sleep", "5"]) as child:
        _pidfile(tmp_path, "dom", child.pid)
        theirs = session.qemu_process(str(tmp_path), "dom")
        expected = f"{child.pid}:{_start_ticks(child.pid)}"
        child.kill()
    assert theirs == expected != mine


@pytest.mark.parametrize("content", [None, "", "abc", "-1", "999999999"])
def test_no_pid_file_or_no_such_process_is_no_answer(tmp_path, content):
    if content is not None:
        (tmp_path / "dom.pid").write_text(content)
    assert session.qemu_process(str(tmp_path), "dom") is None


def test_boot_id_asks_virsh_only_without_a_readable_pid_file(tmp_path, monkeypatch):
    from lago import virsh
    asked = []
    monkeypatch.setattr(virsh, "domid", lambda uri, name: asked.append((uri, name)) or "7")
    _pidfile(tmp_path, "dom", os.getpid())
    assert session.boot_id("qemu:///system", "dom", str(tmp_path)).startswith(f"{os.getpid()}:")
    assert asked == []
    assert session.boot_id("qemu:///system", "other", str(tmp_path)) == "7"
    # Another libvirt (a session URI, a remote host) keeps its pid files elsewhere, or far away.
    assert session.boot_id("qemu+ssh://h/system", "dom", str(tmp_path)) == "7"
    assert asked == [("qemu:///system", "other"), ("qemu+ssh://h/system", "dom")]


def test_a_vm_libvirt_does_not_know_is_a_clear_error_not_a_virsh_failure(tmp_path,
                                                                          monkeypatch):
    """After init and before start the domain is not defined: ssh and copies say so (exit 2)
    instead of passing on virsh's 'failed to get domain'."""
    from lago import virsh
    from lago.paths import PrefixPaths
    monkeypatch.setattr(virsh, "domid", lambda uri, name: None)
    with pytest.raises(UsageError, match="never been started"):
        session.target(PrefixPaths(str(tmp_path / "p")), _state("vm0"), "qemu+ssh://h/system",
                       "vm0", "root")


def test_a_master_of_another_boot_is_closed_and_the_new_boot_recorded(tmp_path, monkeypatch):
    closed = []
    monkeypatch.setattr(ssh, "close_master", lambda t: closed.append(t.host))
    t = ssh.Target(host="192.168.1.2", user="root", key="k", known_hosts="kh",
                   control_dir=str(tmp_path))
    stamp = tmp_path / "vm0.boot"
    session.keep_master_of_this_boot(t, "vm0", "100:5")
    assert (closed, stamp.read_text()) == ([], "100:5\n")  # no stamp yet: nothing to close
    session.keep_master_of_this_boot(t, "vm0", "100:5")
    assert closed == []
    session.keep_master_of_this_boot(t, "vm0", "100:9")  # the same pid, started again
    assert (closed, stamp.read_text()) == (["192.168.1.2"], "100:9\n")
    assert oct(stamp.stat().st_mode & 0o777) == "0o600"


def _state(*names):
    vms = {n: VmState(libvirt_name=n, ip="192.168.1.2", management_net="lan", nics=[])
           for n in names}
    return State(version=1, uuid="u", env_file="e", domain_type="qemu", ssh_key=None,
                 nets={}, vms=vms)


def test_a_vm_by_name_or_unique_suffix():
    st = _state("web-1", "db-1", "web")
    assert session.resolve_vm(st, "p", "web") == "web"
    assert session.resolve_vm(st, "p", "db-1") == "db-1"
    assert session.resolve_vm(st, "p", "eb-1") == "web-1"
    with pytest.raises(UsageError, match="several"):
        session.resolve_vm(st, "p", "-1")
    with pytest.raises(NotFound, match="no VM 'x'"):
        session.resolve_vm(st, "p", "x")


SRC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "src")


def _ssh_run(tmp_path, *options):
    """`lago.pyz [options] ssh vm1 -- true` in a fresh interpreter, up to the exec of ssh (an
    existing machine as VM: no libvirt asked): (exit, stdout, stderr). The stand-in for exec
    prints ssh's argv and which of the costly modules the run imported."""
    import json
    prefix = tmp_path / ".lago" / "p"
    prefix.mkdir(parents=True)
    (tmp_path / ".lago" / "current").symlink_to("p")
    nic = {"net": "lan", "ip": "192.168.1.3", "mac": "52:54:00:00:00:02", "dev": "eth0"}
    (prefix / "state.json").write_text(json.dumps(
        {"version": 1, "uuid": "u", "env_file": "e", "domain_type": "qemu", "ssh_key": None,
         "nets": {}, "vms": {"vm1": {"libvirt_name": None, "ip": "192.168.1.3",
                                     "management_net": "lan", "provider": "ssh",
                                     "nics": [nic]}}}))
    (prefix / "env.json").write_text('{"domains": {"vm1": {"ssh_user": "admin"}}}')
    argv = ["-w", str(tmp_path / ".lago"), *options, "ssh", "vm1", "--", "true"]
    code = ("import os, sys\n"
            "def execvp(path, argv):\n"
            "    print(argv[-2:], sorted(m for m in ('logging', 'dataclasses', 'subprocess')\n"
            "                            if m in sys.modules))\n"
            "    sys.stdout.flush()\n"
            "    os._exit(0)\n"
            "os.execvp = execvp\n"
            "from lago.cli import main\n"
            f"sys.exit(main({argv!r}))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=dict(os.environ, PYTHONPATH=SRC))
    return out.returncode, out.stdout.strip(), out.stderr


def test_ssh_to_a_vm_imports_no_logging_and_no_dataclasses(tmp_path):
    """`ssh VM -- CMD` in a loop pays for Python's start and ssh: logging is imported only for
    a record something shows (here none), dataclasses not at all."""
    assert _ssh_run(tmp_path) == (0, "['admin@192.168.1.3', 'true'] []", "")


def test_ssh_verbose_still_logs_the_command_it_runs(tmp_path):
    code, out, err = _ssh_run(tmp_path, "-v")
    assert (code, out) == (0, "['admin@192.168.1.3', 'true'] ['logging']")
    assert err.startswith("exec: ssh -F /dev/null ") and err.rstrip().endswith(
        "-- admin@192.168.1.3 true")
