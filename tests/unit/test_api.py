"""The Python API without a host: lazy import, typed errors, objects that never cache."""
import os
import subprocess
import sys

import pytest

import lago
from lago import envfile, state
from lago.paths import WorkdirPaths

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ENV = """
nets:
  lan: {management: true}
  stor: {type: isolated}
domains:
  vm0:
    provision: none
    distro: debian
    nics: [{net: lan}, {net: stor}]
    disks: [{type: file, path: base.qcow2}]
"""


@pytest.fixture
def here(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for var in list(os.environ):
        if var.startswith("LAGO_"):
            monkeypatch.delenv(var)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    return tmp_path


def fake_prefix(root, ip="192.168.201.2"):
    """A prefix as init leaves it, written by hand (no host touched)."""
    (root / "base.qcow2").write_text("x")
    (root / "env.yaml").write_text(ENV)
    wd = WorkdirPaths(str(root / ".lago"))
    paths = wd.prefix("default")
    os.makedirs(paths.root)
    os.symlink("default", wd.current)
    state.save_env(paths, envfile.load_env(str(root / "env.yaml"), {}))
    write_state(paths, ip)
    return paths


def write_state(paths, ip):
    state.save(paths, state.State.from_dict({
        "version": 1, "uuid": "u", "env_file": "env.yaml", "domain_type": "qemu",
        "nets": {"lan": {"subnet": "192.168.201.0/24", "gw": "192.168.201.1", "type": "nat",
                         "libvirt_name": "lago-u-lan", "bridge": "br0", "dhcp": None},
                 "stor": {"subnet": "192.168.202.0/24", "gw": "192.168.202.1",
                          "type": "isolated", "libvirt_name": "lago-u-stor", "bridge": "br1",
                          "dhcp": None}},
        "vms": {"vm0": {"libvirt_name": "lago-u-vm0", "ip": ip, "management_net": "lan",
                        "nics": [{"net": "lan", "ip": ip, "mac": "m0", "dev": "eth0"},
                                 {"net": "stor", "ip": "192.168.202.2", "mac": "m1",
                                  "dev": "eth1"}],
                        "disks": []}}}))


def test_importing_lago_loads_neither_the_api_nor_the_cli():
    code = ("import sys, lago; print(sorted(m for m in sys.modules if m.startswith('lago')));"
            "lago.load; print('lago.api' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=dict(os.environ, PYTHONPATH=os.path.join(ROOT, "src")),
                         check=True).stdout.splitlines()
    assert out == ["['lago']", "True"]


def test_missing_environment_is_the_not_found_error_the_cli_exits_2_for(here):
    with pytest.raises(lago.NotFound) as info:
        lago.load(workdir=str(here / ".lago"))
    assert info.value.exit_code == 2 and isinstance(info.value, lago.LagoError)


def test_unknown_setting_is_a_usage_error(here):
    with pytest.raises(lago.UsageError, match="unknown setting"):
        lago.load(workdir=str(here / ".lago"), lease_directory="/x")


def test_bad_env_file_raises_the_spec_error_and_creates_nothing(here):
    (here / "env.yaml").write_text(ENV.replace("net: stor", "net: wan"))
    with pytest.raises(lago.SpecError) as info:
        lago.init(str(here / "env.yaml"), workdir=str(here / ".lago"))
    assert "unknown net 'wan'" in str(info.value.problems)
    assert not (here / ".lago").exists()


def test_networks_and_vm_facts_come_from_the_prefix(here):
    fake_prefix(here)
    env = lago.load(workdir=str(here / ".lago"))
    assert env.name == "default" and [n.name for n in env.nets()] == ["lan", "stor"]
    lan, stor = env.net("lan"), env.net("stor")
    assert (lan.subnet, lan.gw) == ("192.168.201.0/24", "192.168.201.1")
    assert lan.is_management and not stor.is_management
    assert stor.resolve("vm0") == "192.168.202.2"
    with pytest.raises(lago.NotFound):
        lan.resolve("vm9")
    with pytest.raises(lago.NotFound):
        env.net("wan")
    vm = env.vm("0")  # a unique suffix, as on the command line
    assert vm.name == "vm0" and vm.distro == "debian" and vm.ip == "192.168.201.2"
    assert [n["dev"] for n in vm.nics] == ["eth0", "eth1"]
    with pytest.raises(TypeError):
        vm.ssh("uname -a")


def test_objects_read_the_prefix_again_on_every_call(here):
    paths = fake_prefix(here)
    env = lago.load(workdir=str(here / ".lago"))
    vm, lan = env.vm("vm0"), env.net("lan")
    write_state(paths, "192.168.201.77")  # what another lago process would do
    assert vm.ip == "192.168.201.77" and lan.resolve("vm0") == "192.168.201.77"
    os.rename(paths.root, paths.root + ".gone")
    with pytest.raises(lago.NotFound):
        vm.ip


def test_the_object_keeps_its_env_when_current_moves_on(here):
    fake_prefix(here)
    env = lago.load(workdir=str(here / ".lago"))
    os.unlink(here / ".lago" / "current")
    os.symlink("other", here / ".lago" / "current")
    assert env.name == "default" and env.vm("vm0").ip == "192.168.201.2"
