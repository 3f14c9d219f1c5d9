"""Env-file validation: every bad file exits 2 with its location; good files load."""
import json

import pytest

from lago import envfile, model
from lago.errors import SpecError

GOOD = """
nets:
  lan: {type: nat}
domains:
  vm0:
    provision: none
    nics: [{net: lan}]
    disks: [{type: file, path: base.qcow2}]
"""


@pytest.fixture
def envdir(tmp_path):
    (tmp_path / "base.qcow2").write_text("x")
    return tmp_path


def load(envdir, text, name="env.yaml"):
    p = envdir / name
    p.write_text(text)
    return envfile.load_env(str(p))


def problems(envdir, text, name="env.yaml"):
    with pytest.raises(SpecError) as info:
        load(envdir, text, name)
    return info.value.problems


def test_good_file_loads_with_documented_defaults(envdir):
    env = load(envdir, GOOD)
    vm = env.domains["vm0"]
    assert (vm.memory, vm.vcpu, vm.ssh_user, vm.wait_for) == (512, 1, "root", "ssh")
    assert env.nets["lan"].dns_domain_name == "lago.local"
    assert vm.disks[0].path == str(envdir / "base.qcow2")
    assert vm.disks[0].dev == "vda"


def test_json_file_loads_like_yaml(envdir):
    import yaml  # test-only: turn the YAML fixture into JSON
    data = yaml.safe_load(GOOD)
    env = load(envdir, json.dumps(data), "env.json")
    assert list(env.domains) == ["vm0"]


def test_prototypes_are_inherited_and_overridden(envdir):
    env = load(envdir, """
prototypes:
  small: {memory: 256, vcpu: 2, provision: none, disks: [{type: file, path: base.qcow2}]}
nets: {lan: {}}
domains:
  a: {based-on: small, nics: [{net: lan}]}
  b: {based-on: small, memory: 1024, nics: [{net: lan}]}
""")
    assert (env.domains["a"].memory, env.domains["a"].vcpu) == (256, 2)
    assert env.domains["b"].memory == 1024


def test_variables_are_expanded_in_paths(envdir, monkeypatch):
    monkeypatch.setenv("IMG_DIR", str(envdir))
    env = load(envdir, GOOD.replace("path: base.qcow2", "path: $IMG_DIR/base.qcow2"))
    assert env.domains["vm0"].disks[0].path == str(envdir / "base.qcow2")
    env = load(envdir, GOOD.replace("path: base.qcow2", "path: '${LAGO_INITFILE_PATH}/base.qcow2'"))
    assert env.domains["vm0"].disks[0].path == str(envdir / "base.qcow2")


def test_upstream_only_keys_are_accepted(envdir):
    load(envdir, GOOD.replace("provision: none", "provision: none\n    vm-type: default\n"
                              "    service_provider: systemd"))


def test_every_problem_is_reported_at_once(envdir):
    found = problems(envdir, """
nets: {lan: {}}
domains:
  vm0:
    memroy: 5
    provision: none
    nics: [{net: lann}]
    disks: [{type: file, path: missing.qcow2}]
""")
    assert len(found) == 3
    assert any("env.yaml:5: domains.vm0.memroy: unknown key (did you mean 'memory'?)" in p
               for p in found)
    assert any("domains.vm0.nics[0].net: unknown net 'lann' (did you mean 'lan'?)" in p
               for p in found)
    assert any("missing.qcow2 does not exist" in p for p in found)


BAD = {
    "bridge-key-on-nat": (GOOD.replace("{type: nat}", "{type: nat, bridge: br0}"),
                          "nets.lan.bridge: only a net of type bridge"),
    "bridge-name-too-long": (GOOD.replace("{type: nat}", "{type: bridge, gw: 10.1.2.1, "
                                          "bridge: averyveryverylongbr}"), "not a bridge name"),
    "existing-bridge-without-gw": (GOOD.replace("{type: nat}", "{type: bridge, bridge: br0}"),
                                   "nets.lan.gw: an existing bridge"),
    "empty-wait-for": (GOOD.replace("provision: none", "provision: none\n    wait_for: ' '"),
                       "domains.vm0.wait_for: empty command"),
    "yaml-syntax": ("nets: {lan: [}\n", "env.yaml:1: YAML syntax error"),
    "json-syntax": ('{"nets": }', "env.json:1: JSON syntax error"),
    "not-a-mapping": ("- a\n- b\n", "must be a mapping"),
    "top-unknown-key": (GOOD + "netz: {}\n", "netz: unknown key (did you mean 'nets'?)"),
    "no-domains": ("nets: {lan: {}}\n", "at least one domain"),
    "no-nets": (GOOD.split("domains:")[0].replace("nets:\n  lan: {type: nat}\n", "") +
                "domains:" + GOOD.split("domains:")[1], "at least one net"),
    "domains-list": ("nets: {lan: {}}\ndomains: [a]\n", "domains: expected a mapping"),
    "vm-not-mapping": ("nets: {lan: {}}\ndomains: {vm0: 3}\n", "domains.vm0: expected a mapping"),
    "memory-string": (GOOD.replace("provision: none", "provision: none\n    memory: lots"),
                      "domains.vm0.memory: expected an integer"),
    "memory-bool": (GOOD.replace("provision: none", "provision: none\n    memory: true"),
                    "got a boolean"),
    "memory-too-small": (GOOD.replace("provision: none", "provision: none\n    memory: 2"),
                         "too little"),
    "vcpu-zero": (GOOD.replace("provision: none", "provision: none\n    vcpu: 0"), "vcpu"),
    "nics-missing": (GOOD.replace("    nics: [{net: lan}]\n", ""), "at least one NIC"),
    "nic-not-mapping": (GOOD.replace("[{net: lan}]", "[lan]"), "nics[0]: expected a mapping"),
    "nic-no-net": (GOOD.replace("[{net: lan}]", "[{ip: 192.168.200.5}]"), "missing 'net'"),
    "unknown-net": (GOOD.replace("[{net: lan}]", "[{net: wan}]"), "unknown net 'wan'"),
    "nic-unknown-key": (GOOD.replace("[{net: lan}]", "[{net: lan, ipp: 1}]"),
                        "nics[0].ipp: unknown key (did you mean 'ip'?)"),
    "bad-ip": (GOOD.replace("[{net: lan}]", "[{net: lan, ip: 1.2.3}]"), "not an IPv4"),
    "ip-is-gw": (GOOD.replace("[{net: lan}]", "[{net: lan, ip: 192.168.200.1}]"),
                 "is the gateway"),
    "ip-is-network": (GOOD.replace("[{net: lan}]", "[{net: lan, ip: 192.168.200.0}]"),
                      "network or broadcast"),
    "ip-is-broadcast": (GOOD.replace("[{net: lan}]", "[{net: lan, ip: 192.168.200.255}]"),
                        "network or broadcast"),
    "ip-outside-gw-subnet": (GOOD.replace("{type: nat}", "{type: nat, gw: 192.168.201.1}")
                             .replace("[{net: lan}]", "[{net: lan, ip: 192.168.202.5}]"),
                             "outside net 'lan'"),
    "duplicate-ip": (GOOD + "  vm1:\n    provision: none\n    nics: [{net: lan, ip: 192.168.200.5}]\n"
                     "    disks: [{type: file, path: base.qcow2}]\n"
                     "  vm2:\n    provision: none\n    nics: [{net: lan, ip: 192.168.200.5}]\n"
                     "    disks: [{type: file, path: base.qcow2}]\n", "already given to vm1"),
    "duplicate-vm-name": (GOOD + "  vm0:\n    provision: none\n", "duplicate key"),
    "duplicate-net-name": ("nets:\n  lan: {}\n  lan: {}\n" + GOOD.split("\n", 3)[3],
                           "duplicate key"),
    "two-management-nets": ("nets:\n  a: {management: true}\n  b: {management: true}\n"
                            "domains:\n  v: {provision: none, nics: [{net: a}, {net: b}], "
                            "disks: [{type: file, path: base.qcow2}]}\n",
                            "on 2 management nets"),
    "two-nets-same-subnet": ("nets:\n  a: {gw: 192.168.205.1}\n  b: {gw: 192.168.205.1}\n"
                             "domains:\n  v: {provision: none, nics: [{net: a}], "
                             "disks: [{type: file, path: base.qcow2}]}\n", "as does net 'a'"),
    "gw-not-ip": (GOOD.replace("{type: nat}", "{gw: gateway}"), "not an IPv4 address"),
    "gw-broadcast": (GOOD.replace("{type: nat}", "{gw: 192.168.9.255}"), "broadcast"),
    "net-type": (GOOD.replace("{type: nat}", "{type: nta}"), "'nta' is not one of"),
    "net-unknown-key": (GOOD.replace("{type: nat}", "{tpye: nat}"),
                        "did you mean 'type'"),
    "dhcp-range": (GOOD.replace("{type: nat}", "{dhcp: {start: 200, end: 100}}"),
                   "start <= end"),
    "dhcp-type": (GOOD.replace("{type: nat}", "{dhcp: {start: a}}"), "expected an integer"),
    "mtu-range": (GOOD.replace("{type: nat}", "{mtu: 10}"), "outside 68..65535"),
    "dns-record-ip": (GOOD.replace("{type: nat}", "{dns_records: {db: x}}"),
                      "'x' is not an IPv4"),
    "dns-domain": (GOOD.replace("{type: nat}", "{dns_domain_name: 'a b'}"), "not a DNS domain"),
    "vm-name-chars": (GOOD.replace("vm0:", "'vm 0':"), "a VM name is"),
    "vm-name-too-long": (GOOD.replace("vm0:", "v" * 64 + ":"), "a VM name is"),
    "vm-name-shell": (GOOD.replace("vm0:", "'$(reboot)':"), "a VM name is"),
    "net-name-too-long": (GOOD.replace("lan", "n" * 129), "a net name is"),
    "disks-missing": (GOOD.replace("    disks: [{type: file, path: base.qcow2}]\n", ""),
                      "at least one disk"),
    "disk-file-missing": (GOOD.replace("base.qcow2", "nothere.qcow2"), "does not exist"),
    "disk-file-no-path": (GOOD.replace("{type: file, path: base.qcow2}", "{type: file}"),
                          "needs 'path'"),
    "disk-type": (GOOD.replace("type: file", "type: floppy"), "'floppy' is not one of"),
    "disk-format": (GOOD.replace("type: file,", "type: file, format: vmdk,"),
                    "'vmdk' is not one of"),
    "disk-dev": (GOOD.replace("type: file,", "type: file, dev: xvda,"), "not a device name"),
    "disk-dev-twice": (GOOD.replace("[{type: file, path: base.qcow2}]",
                                    "[{type: file, path: base.qcow2}, {type: empty, size: 1G, "
                                    "dev: vda}]"), "used twice"),
    "empty-no-size": (GOOD.replace("[{type: file, path: base.qcow2}]",
                                   "[{type: file, path: base.qcow2}, {type: empty}]"),
                      "needs 'size'"),
    "empty-bad-size": (GOOD.replace("[{type: file, path: base.qcow2}]",
                                    "[{type: file, path: base.qcow2}, {type: empty, size: big}]"),
                       "not a size"),
    "disk-unknown-key": (GOOD.replace("type: file,", "type: file, sise: 1,"), "sise"),
    "template-without-name": (GOOD.replace("{type: file, path: base.qcow2}",
                                           "{type: template}"),
                              "needs 'template_name'"),
    "sysprep-empty-boot-disk": (GOOD.replace("provision: none", "provision: sysprep").replace(
                                    "{type: file, path: base.qcow2}", "{type: empty, size: 1G}"),
                                "not an empty one"),
    "seed-cdrom-dev": (GOOD.replace("{type: file, path: base.qcow2}",
                                    "{type: file, path: base.qcow2, dev: hdd}"),
                       "reserved for the cloud-init seed"),
    "boot-no-kernel": (GOOD.replace("provision: none", "provision: none\n    boot: {cmdline: x}"),
                       "needs 'kernel'"),
    "boot-kernel-missing": (GOOD.replace("provision: none",
                                         "provision: none\n    boot: {kernel: /nonexistent/k}"),
                            "kernel /nonexistent/k does not exist"),
    "unknown-prototype": (GOOD.replace("provision: none", "provision: none\n    based-on: big"),
                          "no prototype named 'big'"),
    "unset-variable": (GOOD.replace("path: base.qcow2", "path: $NO_SUCH_VAR_X/b.qcow2"),
                       "$NO_SUCH_VAR_X is not set"),
    "provision-unknown": (GOOD.replace("provision: none", "provision: ansible"),
                          "'ansible' is not one of"),
    "groups-type": (GOOD.replace("provision: none", "provision: none\n    groups: [1, 2]"),
                    "list of strings"),
    "deploy-script-missing": (GOOD.replace("provision: none",
                                           "provision: none\n    metadata: "
                                           "{deploy-scripts: [nope.sh]}"),
                              "deploy script"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_env_file_is_rejected_with_its_location(envdir, case):
    text, expected = BAD[case]
    name = "env.json" if case.startswith("json") else "env.yaml"
    found = problems(envdir, text, name)
    assert any(expected in p for p in found), found
    for p in found:
        assert p.startswith(f"{envdir / name}") or p.startswith(name) or name in p, p


def test_there_are_at_least_forty_bad_cases():
    assert len(BAD) >= 40


def test_missing_env_file_is_an_input_error(tmp_path):
    with pytest.raises(SpecError, match="no such env file"):
        envfile.load_env(str(tmp_path / "nope.yaml"))


def test_env_round_trips_through_its_dict(envdir):
    env = load(envdir, GOOD)
    again = model.Env.from_dict(json.loads(json.dumps(env.to_dict())))
    assert again == env
