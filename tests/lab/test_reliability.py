"""Reliability on real libvirt: kill -9 at random moments, signals, the prefix lock, host faults,
and secrets that must never reach a log or an argv record."""
import fcntl
import json
import os
import random
import signal
import subprocess
import sys
import time

import pytest

from conftest import host_objects, virsh, write_env

CHAOS_RUNS = int(os.environ.get("LAGO_CHAOS_RUNS", "12"))


def leases_left(lago):
    if not os.path.isdir(lago.lease_dir):
        return []
    return [f for f in os.listdir(lago.lease_dir) if not f.startswith(".")]


def everything(lago):
    """Every lago object on the host plus this test's lease files."""
    objs = host_objects()
    return {**objs, "leases": set(leases_left(lago))}


def count(objs):
    return sum(len(v) for v in objs.values())


def popen(lago, *args, **env):
    return subprocess.Popen([sys.executable, lago.pyz, "-w", lago.workdir, *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=dict(lago.env, **env), start_new_session=True)


def session_alive(sid):
    """True while any process of session ``sid`` (lago and the tools it started) still runs."""
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) == sid and fields[0] != "Z":
            return True
    return False


def wait_session_gone(sid, limit=60):
    # A killed lago leaves its virsh/qemu-img children running; they must finish before we
    # judge the host, or one could create an object after doctor looked.
    end = time.monotonic() + limit
    while session_alive(sid):
        assert time.monotonic() < end, f"children of killed lago (session {sid}) still run"
        time.sleep(0.05)


def last_step(log):
    """The step a killed lago was in: the last 'begin:' line of its log."""
    try:
        with open(log, errors="replace") as fh:
            steps = [l.split("begin: ", 1)[1].strip() for l in fh if "begin: " in l]
    except OSError:
        return "(before the log)"
    return steps[-1][:40] if steps else "(before any step)"


def timed(lago, *args):
    t0 = time.monotonic()
    lago.run(*args)
    return time.monotonic() - t0


def test_chaos_kill_9_during_up_snapshot_destroy_then_doctor_leaves_nothing(lago, template,
                                                                           tmp_path):
    assert count(everything(lago)) == 0, "the lab must start clean"
    envfile = write_env(tmp_path, template, {"vm0": [{"net": "lan"}]})
    prefix = os.path.join(lago.workdir, "default")
    seed = int(os.environ.get("LAGO_CHAOS_SEED", str(int(time.time()))))
    rnd = random.Random(seed)
    t_start = timed(lago, "--version")  # interpreter and zip start-up: nothing to kill yet
    t_up = timed(lago, "up", envfile)
    t_snapshot = timed(lago, "snapshot", "first")
    t_destroy = timed(lago, "destroy", "-y")
    span = {"up": t_up, "snapshot": t_snapshot, "destroy": t_destroy}
    print(f"chaos: seed {seed}, {CHAOS_RUNS} runs, start-up {t_start:.2f} s, durations " +
          ", ".join(f"{v} {t:.1f} s" for v, t in span.items()))
    env_is_up = False
    results = []
    verbs = list(span)
    slices = max(1, -(-CHAOS_RUNS // len(verbs)))
    for run in range(CHAOS_RUNS):
        verb = verbs[run % len(verbs)]
        if verb == "up" and env_is_up:
            lago.run("destroy", "-y")
        if verb != "up" and not env_is_up:
            lago.run("up", envfile)
        # Stratified moments: run k of each verb lands in the k-th of its slices of the time
        # after start-up, squeezed towards the start (power 1.5), where the short phases are:
        # validation, key, leases, disks, networks, domains, pausing; the long ssh wait still
        # gets its share.
        k = (run // len(verbs)) % slices
        work = max(span[verb] - t_start, 0.1) * 1.05
        delay = t_start + work * ((k + rnd.random()) / slices) ** 1.5
        args = {"up": [envfile], "snapshot": [f"snap{run}"], "destroy": ["-y"]}[verb]
        proc = popen(lago, verb, *args)
        time.sleep(delay)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        wait_session_gone(proc.pid)

        phase = last_step(os.path.join(prefix, "logs", "lago.log"))
        doc = lago.run("--json", "doctor", "--fix", check=False)
        report = json.loads(doc.stdout)
        assert doc.returncode == 0 and report["clean"], doc.stdout + doc.stderr
        left_by_doctor = everything(lago)
        live = os.path.exists(os.path.join(prefix, "initialized"))
        if not live:
            # No live env: doctor alone must have removed every trace of it.
            assert count(left_by_doctor) == 0, (run, verb, delay, left_by_doctor)
        if os.path.isdir(prefix):
            # By name: a kill before 'current' was set leaves a prefix nothing points to.
            lago.run("-P", "default", "destroy", "-y")
        left = everything(lago)
        results.append((verb, round(delay, 2), phase, live, len(report["findings"]),
                        count(left)))
        print("chaos run: %-8s killed at %5.2f s in %-40r live-after %-5s doctor-found %d "
              "objects-left %d" % results[-1], flush=True)
        assert count(left) == 0, (run, verb, delay, left)
        lago.run("up", envfile)
        assert lago.run("ssh", "vm0", "--", "true").returncode == 0
        env_is_up = True
    lago.run("destroy", "-y")
    assert count(everything(lago)) == 0
    assert len(results) == CHAOS_RUNS >= 1
    # The kill moments really spread: some runs left something for doctor to find.
    assert any(r[4] for r in results) or CHAOS_RUNS < 10


def test_second_up_waits_a_bounded_time_then_exits_2_naming_the_holder(lago, template,
                                                                       tmp_path):
    before = host_objects()
    envfile = write_env(tmp_path, template, {"vm0": [{"net": "lan"}]})
    lock = os.path.join(lago.workdir, "default", ".lock")
    first = popen(lago, "up", envfile)
    end = time.monotonic() + 30
    while not _held(lock):
        assert first.poll() is None and time.monotonic() < end, "first up never took the lock"
        time.sleep(0.02)
    second = subprocess.run([sys.executable, lago.pyz, "-w", lago.workdir, "up", envfile],
                            capture_output=True, text=True,
                            env=dict(lago.env, LAGO_LOCK_TIMEOUT="1"), timeout=60)
    assert second.returncode == 2, second.stderr
    assert f"pid {first.pid}" in second.stderr and "locked" in second.stderr
    out, err = first.communicate(timeout=300)
    assert first.returncode == 0, err
    # The loser changed nothing: one domain, one network.
    objs = host_objects()
    assert len(objs["domains"] - before["domains"]) == 1
    assert len(objs["networks"] - before["networks"]) == 1
    lago.run("destroy", "-y")
    # flock dies with its holder: no lock file needs removing by hand.
    assert count(everything(lago)) == 0


def _held(path):
    try:
        fd = os.open(path, os.O_RDWR)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return False
    except BlockingIOError:
        return True
    finally:
        os.close(fd)


@pytest.mark.parametrize("sig,code", [(signal.SIGTERM, 143), (signal.SIGINT, 130),
                                      (signal.SIGHUP, 129)])
def test_a_signal_during_up_rolls_back_everything_and_keeps_the_log(lago, template, tmp_path,
                                                                    sig, code):
    before = host_objects()
    envfile = write_env(tmp_path, template, {"vm0": [{"net": "lan"}], "vm1": [{"net": "lan"}]})
    proc = popen(lago, "up", envfile)
    end = time.monotonic() + 60
    # Wait until both VMs run, i.e. the signal lands while lago waits for ssh.
    while sum(1 for l in virsh("list").splitlines() if "lago-" in l) < 2:
        assert proc.poll() is None and time.monotonic() < end, proc.communicate()
        time.sleep(0.05)
    os.kill(proc.pid, sig)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == code, err
    assert "rolling back" in err
    assert host_objects() == before
    assert leases_left(lago) == []
    prefix = os.path.join(lago.workdir, "default")
    assert os.path.exists(os.path.join(prefix, "logs", "lago.log"))
    assert not os.path.exists(os.path.join(prefix, "state.json"))
    # And the same env file comes up afterwards.
    lago.run("up", envfile)
    lago.run("destroy", "-y")


def test_passwords_never_reach_logs_argv_records_or_status(lago, template, tmp_path):
    envfile = write_env(tmp_path, template, {"vm0": [{"net": "lan"}]})
    password = template["root-password"]
    # The guest does not trust the env's key yet: lago must log in once with the password.
    outputs = [lago.run("-v", "up", envfile), lago.run("status"), lago.run("--json", "status"),
               lago.run("-v", "ssh", "vm0", "--", "true"), lago.run("--json", "doctor")]
    prefix = lago.json("status")["path"]
    texts = {f"output of run {i}": p.stdout + p.stderr for i, p in enumerate(outputs)}
    for root, _, files in os.walk(os.path.join(prefix, "logs")):
        for name in files:
            with open(os.path.join(root, name), errors="replace") as fh:
                texts[name] = fh.read()
    assert "run: virsh" in texts["lago.log"], "the argv records are in lago.log"
    assert "run: ssh" in texts["lago.log"]
    leaked = [where for where, text in texts.items() if password in text]
    assert leaked == []
    shown = lago.run("--json", "status", "--show-secrets").stdout
    assert password in shown
    modes = {name: os.stat(os.path.join(prefix, name)).st_mode & 0o777
             for name in ("id_rsa", "env.json", os.path.join("logs", "lago.log"))}
    assert modes == {"id_rsa": 0o600, "env.json": 0o600, os.path.join("logs", "lago.log"): 0o600}
    assert os.stat(lago.lease_dir).st_mode & 0o777 == 0o755
    lago.run("destroy", "-y")


def test_libvirt_unreachable_is_exit_1_with_a_clear_message_and_nothing_left(lago, template,
                                                                            tmp_path):
    envfile = write_env(tmp_path, template, {"vm0": [{"net": "lan"}]})
    uri = f"qemu+unix:///system?socket={tmp_path}/no-such-libvirt-sock"
    proc = lago.run("--connect", uri, "up", envfile, check=False)
    print("libvirt down:", proc.stderr)
    assert proc.returncode == 1, proc.stderr
    assert "cannot connect to libvirt at " + uri in proc.stderr
    assert "is libvirtd running?" in proc.stderr and "Traceback" not in proc.stderr
    assert leases_left(lago) == []
    prefix = os.path.join(lago.workdir, "default")
    assert os.path.exists(os.path.join(prefix, "logs", "lago.log"))
    assert sorted(os.listdir(prefix)) == [".lock", "logs"]


def test_a_full_disk_is_exit_1_with_a_clear_message_and_rolled_back(lago, template, tmp_path):
    mnt = tmp_path / "small"
    mnt.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=160k,mode=0755", "tmpfs", str(mnt)],
                   check=True)
    try:
        lago.workdir = str(mnt / ".lago")
        envfile = write_env(tmp_path, template, {"vm0": [{"net": "lan"}]})
        before = host_objects()
        proc = lago.run("up", envfile, check=False)
        print("disk full:", proc.stderr)
        assert proc.returncode == 1, proc.stdout + proc.stderr
        assert "No space left on device" in proc.stderr
        assert "Traceback" not in proc.stderr
        assert host_objects() == before
        assert leases_left(lago) == []
        prefix = mnt / ".lago" / "default"
        assert sorted(os.listdir(prefix)) == [".lock", "logs"]
    finally:
        subprocess.run(["umount", str(mnt)], check=True)


def test_a_missing_template_image_is_bad_input_exit_2_and_touches_nothing(lago, template,
                                                                         tmp_path):
    envfile = write_env(tmp_path, template, {"vm0": [{"net": "lan"}]})
    text = open(envfile).read().replace(template["disk"], str(tmp_path / "gone.qcow2"))
    open(envfile, "w").write(text)
    before = host_objects()
    proc = lago.run("up", envfile, check=False)
    assert proc.returncode == 2
    assert "gone.qcow2" in proc.stderr and "Traceback" not in proc.stderr
    assert host_objects() == before
    assert not os.path.exists(lago.workdir)


def test_a_vm_left_paused_is_found_by_doctor_and_resumed_by_start_or_doctor_fix(lago, template,
                                                                              tmp_path):
    # What a snapshot killed between pause and resume leaves: a paused domain, lock free.
    lago.run("up", write_env(tmp_path, template, {"vm0": [{"net": "lan"}]}))
    domain = lago.json("status")["vms"]["vm0"]["libvirt_name"]
    virsh("suspend", domain)
    found = json.loads(lago.run("--json", "doctor", check=False).stdout)["findings"]
    assert [(f["kind"], f["name"]) for f in found] == [("paused", domain)]
    # start (and up) go on running it, instead of failing on an already active domain.
    lago.run("start")
    assert lago.json("status")["vms"]["vm0"]["state"] == "running"
    assert lago.run("ssh", "vm0", "--", "hostname").stdout.strip() == "vm0"
    virsh("suspend", domain)
    fixed = lago.run("--json", "doctor", "--fix", check=False)
    assert fixed.returncode == 0, fixed.stdout
    assert lago.json("status")["vms"]["vm0"]["state"] == "running"
    assert json.loads(lago.run("--json", "doctor").stdout)["findings"] == []
    lago.run("destroy", "-y")
