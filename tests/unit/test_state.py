"""state.json as typed classes: what is read and written back is the same file, byte for byte.

golden/state-saved.json is a state.json as `init` wrote it before the dataclasses (lago.pyz
of 56ec885, 10 tiny VMs, in the lab);
golden/state-older.json is one from before `ssh_key` and `own_bridge` were recorded, with a
snapshot. Both must load, and saving them again must not change a byte.
"""
import glob
import json
import os

import pytest

from lago import addressing, state
from lago.model import Env
from lago.paths import PrefixPaths

GOLDEN = os.path.join(os.path.dirname(os.path.abspath(__file__)), "golden")
SAVED = sorted(glob.glob(os.path.join(GOLDEN, "state-*.json")))


def test_there_are_a_saved_and_an_older_state():
    assert {os.path.basename(p) for p in SAVED} >= {"state-saved.json", "state-older.json"}


@pytest.mark.parametrize("path", SAVED, ids=os.path.basename)
def test_a_saved_state_loads_and_saves_byte_for_byte(path, tmp_path):
    paths = PrefixPaths(str(tmp_path))
    with open(path, "rb") as fh:
        original = fh.read()
    with open(paths.state, "wb") as fh:
        fh.write(original)
    st = state.load(paths)
    assert isinstance(st, state.State)
    for vm in st.vms.values():
        assert all(isinstance(n, state.NicState) for n in vm.nics)
        assert all(isinstance(d, state.DiskState) for d in vm.disks)
    state.save(paths, st)
    with open(paths.state, "rb") as fh:
        assert fh.read() == original


def test_an_older_state_reads_what_it_lacks_as_absent():
    with open(os.path.join(GOLDEN, "state-older.json"), encoding="utf-8") as fh:
        st = state.State.from_dict(json.load(fh))
    assert st.ssh_key is None and not st.has_ssh_key
    assert st.nets["br"].own_bridge is None and not st.nets["br"].own_bridge
    assert st.vms["vm0"].disks[0].base_format == "qcow2"
    assert st.snapshots == {"s1": {"created": "2026-01-01T00:00:00+00:00",
                                   "vms": {"vm0": "running"}}}
    assert "ssh_key" not in st.to_dict() and "own_bridge" not in st.to_dict()["nets"]["br"]


def test_keys_this_version_does_not_know_are_kept():
    with open(os.path.join(GOLDEN, "state-older.json"), encoding="utf-8") as fh:
        data = json.load(fh)
    data["later"] = {"x": 1}
    data["vms"]["vm0"]["later"] = True
    data["vms"]["vm0"]["nics"][0]["later"] = 2
    assert state.State.from_dict(data).to_dict() == data


def test_a_new_state_records_the_ssh_key_even_when_there_is_none():
    plan = {"nets": {"lan": {"subnet": "192.168.9.0/24", "gw": "192.168.9.1", "type": "nat",
                             "libvirt_name": "lago-12345678-lan", "bridge": "lago12345678n0",
                             "own_bridge": False, "dhcp": {"start": "192.168.9.100",
                                                           "end": "192.168.9.254"}}},
            "vms": {"ext": {"libvirt_name": None, "provider": "ssh", "ip": "10.0.0.5",
                            "management_net": "lan",
                            "nics": [{"net": "lan", "ip": "10.0.0.5", "mac": None,
                                      "dev": "eth0"}]}}}
    st = state.State.from_dict({"uuid": "12345678", "env_file": "env.yaml",
                                "domain_type": "qemu", "ssh_key": None, **plan})
    out = st.to_dict()
    assert out["ssh_key"] is None and out["version"] == state.VERSION
    assert out["vms"]["ext"]["provider"] == "ssh" and out["vms"]["ext"]["disks"] == []
    assert "seed" not in out["vms"]["ext"] and "snapshots" not in out
    assert st.libvirt_vms() == {} and st.vms["ext"].external
    assert addressing.dns_hosts(Env(path="env.yaml", domains={}, nets={}), st.vms) == {}


def test_a_records_copy_changes_what_is_asked_and_keeps_the_rest():
    with open(os.path.join(GOLDEN, "state-older.json"), encoding="utf-8") as fh:
        st = state.State.from_dict(json.load(fh))
    vm = st.vms["vm0"]
    moved = vm.replace(ip="192.168.1.9")
    assert (moved.ip, vm.ip != "192.168.1.9") == ("192.168.1.9", True)
    assert moved.replace(ip=vm.ip) == vm and moved != vm
    copy = st.replace(vms={"vm0": moved})
    assert not copy.has_ssh_key and copy.to_dict()["vms"]["vm0"]["ip"] == "192.168.1.9"
    assert copy.nets is st.nets  # shallow, as dataclasses.replace
    # Equal records are equal whatever their has_ssh_key; another kind never is.
    assert state.State.from_dict(st.to_dict()) == st.replace(has_ssh_key=True)
    assert vm.nics[0] != vm and "VmState(libvirt_name=" in repr(vm)
