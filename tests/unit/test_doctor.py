"""doctor's judgement without a host: who owns what, and what is a stray."""
import contextlib
import fcntl
import json
import os

from lago import doctor, leases
from lago.doctor import _findings, _Host, _owners

UUID_LIVE = "11111111-0000-0000-0000-000000000000"
UUID_GONE = "22222222-0000-0000-0000-000000000000"
UUID_HALF = "33333333-0000-0000-0000-000000000000"
UUID_BUSY = "44444444-0000-0000-0000-000000000000"


def make_prefix(root, uuid, initialized=True, vms=(), nets=()):
    os.makedirs(os.path.join(root, "logs"), exist_ok=True)
    with open(os.path.join(root, "uuid"), "w") as fh:
        fh.write(uuid + "\n")
    if initialized:
        open(os.path.join(root, "initialized"), "w").close()
    sid = uuid[:8]
    state = {"vms": {v: {"libvirt_name": f"lago-{sid}-{v}"} for v in vms},
             "nets": {n: {"libvirt_name": f"lago-{sid}-{n}", "bridge": f"lago{sid}n{i}"}
                      for i, n in enumerate(nets)}}
    with open(os.path.join(root, "state.json"), "w") as fh:
        json.dump(state, fh)


def lease(lease_dir, third, root, uuid):
    os.makedirs(lease_dir, exist_ok=True)
    with open(os.path.join(lease_dir, f"192.168.{third}.0.json"), "w") as fh:
        json.dump({"subnet": f"192.168.{third}.0/24", "prefix": root,
                   "uuid_path": os.path.join(root, "uuid"), "uuid": uuid}, fh)


def meta(root, uuid):
    return {"prefix": root, "uuid": uuid, "vm": "x"}


def judge(tmp_path, host):
    with contextlib.ExitStack() as locks:
        owners = _owners(host, str(tmp_path / "leases"), locks)
        return {(f.kind, f.name): f for f in _findings(host, owners)}, owners


def test_objects_of_live_envs_are_kept_and_strays_are_found(tmp_path):
    live, gone, half = (str(tmp_path / n) for n in ("live", "gone", "half"))
    make_prefix(live, UUID_LIVE, vms=["vm0"], nets=["lan"])
    make_prefix(half, UUID_HALF, initialized=False)
    ld = str(tmp_path / "leases")
    lease(ld, 200, live, UUID_LIVE)
    lease(ld, 201, gone, UUID_GONE)
    lease(ld, 202, half, UUID_HALF)
    host = _Host(
        domains={"lago-11111111-vm0": meta(live, UUID_LIVE),
                 "lago-11111111-extra": meta(live, UUID_LIVE),
                 "lago-22222222-vm0": meta(gone, UUID_GONE),
                 "lago-33333333-vm0": None,
                 "lago-99999999-vm0": None},
        # A live env's VM left paused (an interrupted snapshot) is resumed; a paused stray
        # is destroyed like any stray.
        paused=["lago-11111111-vm0", "lago-22222222-vm0"],
        # A stopped live env: its network is down, its own bridge (in its state) stays.
        networks={"lago-11111111-lan": {"active": False, "bridge": "lago11111111n0",
                                        "subnet": "192.168.200.0/24"},
                  "lago-22222222-lan": {"active": True, "bridge": "lago22222222n0",
                                        "subnet": "192.168.201.0/24"}},
        bridges=["lago11111111n0", "lago22222222n0", "lago11111111n1"],  # n0: in state
        leases=leases.list_leases(ld))
    found, owners = judge(tmp_path, host)
    assert set(found) == {
        ("paused", "lago-11111111-vm0"),
        ("domain", "lago-11111111-extra"), ("domain", "lago-22222222-vm0"),
        ("domain", "lago-33333333-vm0"), ("domain", "lago-99999999-vm0"),
        ("network", "lago-22222222-lan"), ("bridge", "lago11111111n1"),
        ("bridge", "lago22222222n0"),
        ("lease", "192.168.201.0/24"), ("lease", "192.168.202.0/24"), ("prefix", half)}
    assert "state.json" in found[("domain", "lago-11111111-extra")].reason
    assert found[("paused", "lago-11111111-vm0")].action == "resume"
    assert found[("domain", "lago-99999999-vm0")].owner == ""
    assert {o.status for g in owners.values() for o in g} == {"live", "gone", "abandoned"}


def test_an_env_whose_lock_is_held_is_left_alone_and_its_holder_named(tmp_path):
    busy = str(tmp_path / "busy")
    make_prefix(busy, UUID_BUSY, initialized=False)
    ld = str(tmp_path / "leases")
    lease(ld, 200, busy, UUID_BUSY)
    fd = os.open(os.path.join(busy, ".lock"), os.O_RDWR | os.O_CREAT)
    os.write(fd, b"4242\n")
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        host = _Host(domains={"lago-44444444-vm0": meta(busy, UUID_BUSY)},
                     paused=["lago-44444444-vm0"],  # its snapshot is running: leave it
                     networks={"lago-44444444-lan": {"active": False, "bridge": "lago44444444n0",
                                                     "subnet": "192.168.200.0/24"}},
                     bridges=["lago44444444n0"], leases=leases.list_leases(ld))
        found, owners = judge(tmp_path, host)
        assert found == {}
        assert owners["44444444"][0].holder == "pid 4242"
    finally:
        os.close(fd)


def test_short_ids_are_read_from_lagos_names_only():
    assert doctor.short_id_of("lago-1a2b3c4d-vm0") == "1a2b3c4d"
    assert doctor.short_id_of("lago1a2b3c4dn3") == "1a2b3c4d"
    for other in ("default", "lago", "lago-xyz-vm", "virbr0", "lago1a2b3c4dn"):
        assert doctor.short_id_of(other) is None


def test_bridge_argv_and_network_parsing_are_pure():
    from lago import iproute, xmlgen
    assert iproute.bridges_argv() == ["ip", "-j", "link", "show", "type", "bridge"]
    assert iproute.delete_link_argv("lago1a2b3c4dn0") == ["ip", "link", "del", "dev",
                                                          "lago1a2b3c4dn0"]
    xml = xmlgen.network_xml("lago-1a2b3c4d-lan", "lago1a2b3c4dn0", "nat", "192.168.200.0/24",
                             "192.168.200.1", None, [], "lago.local", {})
    assert xmlgen.parse_network(xml) == {"bridge": "lago1a2b3c4dn0",
                                         "subnet": "192.168.200.0/24"}


def test_doctor_prints_what_it_found_and_did_and_exits_1_while_anything_remains(
        monkeypatch, capsys, tmp_path):
    from lago import cli
    from lago.doctor import Finding, Report
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))

    def fake(uri, lease_dir, fix):
        f = Finding("domain", "lago-22222222-vm0", "/w/.lago/old", "its env no longer exists",
                    "destroy and undefine", done=fix)
        return Report([f], busy=[{"prefix": "/w/.lago/b", "holder": "pid 7"}], fixed=fix)
    monkeypatch.setattr(doctor, "run", fake)
    assert cli.main(["doctor"]) == 1
    out = capsys.readouterr().out
    assert "lago-22222222-vm0 [/w/.lago/old]: its env no longer exists -> would destroy" in out
    assert "busy     /w/.lago/b  (locked by pid 7; left alone)" in out
    assert "run 'lago.pyz doctor --fix'" in out
    assert cli.main(["doctor", "--fix"]) == 0
    assert "-> removed" in capsys.readouterr().out
    assert cli.main(["doctor", "--fix", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["clean"] and data["findings"][0]["done"] and data["busy"][0]["holder"] == "pid 7"
