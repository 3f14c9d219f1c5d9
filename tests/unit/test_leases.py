import ipaddress
import json
import subprocess
import sys
import os

import pytest

from lago import leases
from lago.config import Config
from lago.errors import LeaseError, UsageError

N = ipaddress.IPv4Network


def owner(tmp_path, name):
    d = tmp_path / name
    d.mkdir(exist_ok=True)
    (d / "uuid").write_text(f"uuid-{name}\n")
    return leases.Owner(str(d), str(d / "uuid"), f"uuid-{name}")


@pytest.mark.parametrize("spec,count,first,last", [
    ("192.168.200.0/21", 8, "192.168.200.0/24", "192.168.207.0/24"),
    ("192.168.200.0-192.168.209.0", 10, "192.168.200.0/24", "192.168.209.0/24"),
    ("192.168.1.0/24, 10.0.0.0-10.0.1.0", 3, "10.0.0.0/24", "192.168.1.0/24"),
    (Config().subnet_pool, 56, "192.168.200.0/24", "192.168.255.0/24"),
])
def test_pool_forms(spec, count, first, last):
    pool = leases.parse_pool(spec)
    assert (len(pool), str(pool[0]), str(pool[-1])) == (count, first, last)


@pytest.mark.parametrize("spec", ["192.168.1.0/25", "192.168.1.5-192.168.2.0", "x", "",
                                  "192.168.3.0-192.168.1.0"])
def test_bad_pools_are_usage_errors(spec):
    with pytest.raises(UsageError):
        leases.parse_pool(spec)


def test_acquire_skips_routed_and_leased_subnets(tmp_path):
    d = str(tmp_path / "leases")
    pool = leases.parse_pool("192.168.200.0-192.168.203.0")
    a = leases.acquire(d, pool, owner(tmp_path, "a"), [None], excluded=[N("192.168.200.0/23")])
    assert a == [N("192.168.202.0/24")]
    b = leases.acquire(d, pool, owner(tmp_path, "b"), [None, None])
    assert b == [N("192.168.200.0/24"), N("192.168.201.0/24")]
    data = json.loads(open(os.path.join(d, "192.168.202.0.json")).read())
    assert data["uuid"] == "uuid-a" and data["subnet"] == "192.168.202.0/24"


def test_acquire_again_reuses_the_owners_leases(tmp_path):
    d = str(tmp_path / "leases")
    pool = leases.parse_pool("192.168.200.0/22")
    o = owner(tmp_path, "a")
    first = leases.acquire(d, pool, o, [None, None])
    assert leases.acquire(d, pool, o, [None, None]) == first
    assert len(leases.list_leases(d)) == 2


def test_requested_subnet_outside_pool_or_taken_is_refused(tmp_path):
    d = str(tmp_path / "leases")
    pool = leases.parse_pool("192.168.200.0/23")
    with pytest.raises(LeaseError, match="outside the subnet pool"):
        leases.acquire(d, pool, owner(tmp_path, "a"), [N("10.1.1.0/24")])
    leases.acquire(d, pool, owner(tmp_path, "a"), [N("192.168.201.0/24")])
    with pytest.raises(LeaseError, match="leased by"):
        leases.acquire(d, pool, owner(tmp_path, "b"), [N("192.168.201.0/24")])


def test_exhausted_pool_names_the_pool_and_takes_nothing(tmp_path):
    d = str(tmp_path / "leases")
    pool = leases.parse_pool("192.168.200.0/23")
    leases.acquire(d, pool, owner(tmp_path, "a"), [None])
    with pytest.raises(LeaseError, match=r"192\.168\.200\.0-192\.168\.201\.0"):
        leases.acquire(d, pool, owner(tmp_path, "b"), [None, None])
    assert [l.uuid for l in leases.list_leases(d)] == ["uuid-a"]


def test_stale_lease_is_reclaimed(tmp_path):
    d = str(tmp_path / "leases")
    pool = leases.parse_pool("192.168.200.0/24")
    a = owner(tmp_path, "a")
    leases.acquire(d, pool, a, [None])
    os.unlink(a.uuid_path)  # the prefix is gone
    assert leases.list_leases(d)[0].stale
    got = leases.acquire(d, pool, owner(tmp_path, "b"), [None])
    assert got == [N("192.168.200.0/24")]
    assert leases.list_leases(d)[0].uuid == "uuid-b"


def test_release_drops_only_the_owners_leases(tmp_path):
    d = str(tmp_path / "leases")
    pool = leases.parse_pool("192.168.200.0/22")
    leases.acquire(d, pool, owner(tmp_path, "a"), [None, None])
    leases.acquire(d, pool, owner(tmp_path, "b"), [None])
    assert len(leases.release(d, "uuid-a")) == 2
    assert [l.uuid for l in leases.list_leases(d)] == ["uuid-b"]


WORKER = """
import os, sys
sys.path.insert(0, sys.argv[1])
from lago import leases as L
from lago.errors import LeaseError
d, root, i = sys.argv[2], sys.argv[3], sys.argv[4]
os.makedirs(os.path.join(root, "p" + i), exist_ok=True)
path = os.path.join(root, "p" + i, "uuid")
with open(path, "w") as fh:
    fh.write("u%s\\n" % i)
sys.stdin.read()  # start line: every process is ready before any takes a lease
try:
    got = L.acquire(d, L.parse_pool("192.168.200.0-192.168.209.0"),
                    L.Owner(os.path.dirname(path), path, "u" + i), [None])
    print(got[0])
except LeaseError as exc:
    print("error:", exc)
"""


def test_concurrent_processes_get_distinct_leases_and_the_eleventh_fails(tmp_path):
    """Eleven separate interpreters race for a pool of ten subnets."""
    d = str(tmp_path / "leases")
    src = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__)))), "src")
    procs = [subprocess.Popen([sys.executable, "-c", WORKER, src, d, str(tmp_path), str(i)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
             for i in range(11)]
    for proc in procs:
        proc.stdin.close()
    results = [proc.stdout.read().strip() for proc in procs]
    for proc in procs:
        proc.wait(timeout=60)
    got = [r for r in results if not r.startswith("error")]
    errors = [r for r in results if r.startswith("error")]
    assert len(got) == 10 and len(set(got)) == 10, results
    assert len(errors) == 1 and "pool" in errors[0]


def test_busy_lock_is_reported_after_a_bounded_wait(tmp_path):
    import fcntl
    d = tmp_path / "leases"
    d.mkdir()
    fd = os.open(str(d / ".lock"), os.O_RDWR | os.O_CREAT)
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        with pytest.raises(UsageError, match="locked"):
            leases.acquire(str(d), leases.parse_pool("192.168.200.0/24"), owner(tmp_path, "a"),
                           [None], timeout=0.2)
    finally:
        os.close(fd)
