"""Upstream Lago env files load with Lago's meaning; typos still fail with a did-you-mean."""
import pytest

from lago import addressing, cli, envfile, state
from lago.errors import SpecError

# Written in the style of Lago's functional fixtures and system-test init files: '_' and '.'
# in names, anchor-only top-level blocks, a merge with an override, numeric passwords, a long
# net name, Lago's CPU keys and a vm-provider ssh machine.
LAGO_STYLE = """
base_disk: &base_disk
  template_name: el7.7-base
  type: file
  path: base.qcow2
  name: root
  dev: vda
  format: qcow2

base_domain: &base_domain
  memory: 256
  vcpu: 2
  provision: none
  root-password: 123456
  nics:
    - net: lago-basic-suite-4.3-net-management-and-storage
  disks:
    - *base_disk

domains:
  lago_basic_suite_4.3_engine:
    <<: *base_domain
    memory: 512
    cpu_model: Westmere
    service_provider: systemd
  lago_basic_suite_4.3_host-0:
    <<: *base_domain
    nested: true
  lago_basic_suite_4.3_storage:
    vm-provider: ssh
    ssh-password: 123
    nics:
      - net: lago-basic-suite-4.3-net-management-and-storage
        ip: 192.168.201.7
nets:
  lago-basic-suite-4.3-net-management-and-storage:
    type: nat
    dhcp: {start: 100, end: 254}
    management: true
    dns_domain_name: lago.local
    nat-settings: {mode: masquerade}
"""


@pytest.fixture
def envdir(here):
    return here


def load(envdir, text):
    (envdir / "env.yaml").write_text(text)
    return envfile.load_env(str(envdir / "env.yaml"))


def test_a_lago_style_file_loads_with_lagos_meaning(envdir):
    env = load(envdir, LAGO_STYLE)
    engine = env.domains["lago_basic_suite_4.3_engine"]
    host = env.domains["lago_basic_suite_4.3_host-0"]
    storage = env.domains["lago_basic_suite_4.3_storage"]
    assert (engine.memory, host.memory, engine.vcpu) == (512, 256, 2)  # merge, then override
    assert engine.root_password == "123456" and engine.ssh_password == "123456"
    assert (engine.cpu_model, host.nested) == ("Westmere", True)
    assert (storage.provider, storage.disks, storage.provision) == ("ssh", [], "none")
    assert storage.ssh_password == "123"
    assert env.warnings == []


def test_long_net_names_get_a_short_hashed_libvirt_name(envdir):
    long = "lago-basic-suite-4.3-net-management-and-storage"
    other = long.replace("storage", "backup")
    uuid = "0123abcd-0000-4000-8000-000000000000"
    a, b = addressing.network_name(uuid, long), addressing.network_name(uuid, other)
    assert a != b and len(a) <= 46 and a.startswith("lago-0123abcd-lago-basic-suite")
    assert addressing.network_name(uuid, "lan") == "lago-0123abcd-lan"
    assert addressing.host_label("lago_basic_suite_4.3_engine") == "lago-basic-suite-4.3-engine"


def test_a_key_beside_a_merge_is_no_duplicate_but_a_repeated_key_is(envdir):
    text = LAGO_STYLE.replace("    memory: 512\n", "    memory: 512\n    memory: 1024\n")
    with pytest.raises(SpecError) as info:
        load(envdir, text)
    assert [p for p in info.value.problems if "duplicate key" in p] == [
        f"{envdir / 'env.yaml'}:24: domains.lago_basic_suite_4.3_engine.memory: duplicate key "
        "(first at line 23)"]


def test_an_unknown_key_far_from_any_known_one_is_a_warning(envdir, capsys):
    text = LAGO_STYLE.replace("    nested: true\n", "    nested: true\n    ovirt-capabilities: [x]\n")
    env = load(envdir, text)
    assert len(env.warnings) == 1
    assert "domains.lago_basic_suite_4.3_host-0.ovirt-capabilities: unknown key" in env.warnings[0]
    assert cli.main(["validate", "env.yaml"]) == 0
    assert "ovirt-capabilities: unknown key, ignored" in capsys.readouterr().err


# Misspelt keys at every level: each exits 2 naming the key and the key it is close to.
TYPOS = [
    ("domain", "domains", lambda t: t.replace("\ndomains:", "\ndomain:")),
    ("netz", "nets", lambda t: t.replace("\nnets:", "\nnetz:")),
    ("memroy", "memory", lambda t: t.replace("    memory: 512", "    memroy: 512")),
    ("vcpus", "vcpu", lambda t: t.replace("  vcpu: 2", "  vcpus: 2")),
    ("cpu-model", "cpu_model", lambda t: t.replace("cpu_model:", "cpu-model:")),
    ("nestd", "nested", lambda t: t.replace("nested:", "nestd:")),
    ("vm_provider", "vm-provider", lambda t: t.replace("vm-provider:", "vm_provider:")),
    ("ssh_password", "ssh-password", lambda t: t.replace("ssh-password:", "ssh_password:")),
    ("root_password", "root-password", lambda t: t.replace("root-password:", "root_password:")),
    ("template-name", "template_name", lambda t: t.replace("template_name:", "template-name:")),
    ("fromat", "format", lambda t: t.replace("format: qcow2", "fromat: qcow2")),
    ("managment", "management", lambda t: t.replace("management:", "managment:")),
    ("dhpc", "dhcp", lambda t: t.replace("dhcp:", "dhpc:")),
    ("make_copy", "make_a_copy", lambda t: t.replace("  name: root", "  name: root\n  make_copy: true")),
    ("artefacts", "artifacts", lambda t: t.replace("  vcpu: 2", "  vcpu: 2\n  artefacts: [/var]")),
]


@pytest.mark.parametrize("typo,known,edit", TYPOS, ids=[t[0] for t in TYPOS])
def test_a_misspelt_key_exits_2_naming_it_and_the_match(envdir, capsys, typo, known, edit):
    text = edit(LAGO_STYLE)
    assert text != LAGO_STYLE
    (envdir / "env.yaml").write_text(text)
    assert cli.main(["validate", "env.yaml"]) == 2
    err = capsys.readouterr().err
    assert f"{typo}: unknown key (did you mean '{known}'?)" in err, err


BAD = {
    "both-cpu-keys": ("cpu_model: Westmere", "cpu_model: Westmere\n    cpu_custom: {'@mode': custom}",
                      "exclude each other"),
    "cpu-model-chars": ("cpu_model: Westmere", "cpu_model: 'a b'", "not a CPU model name"),
    "cpu-custom-attr": ("cpu_model: Westmere", "cpu_custom: {'@mode': [1]}", "plain value"),
    "nested-string": ("nested: true", "nested: maybe", "expected true/false"),
    "provider": ("vm-provider: ssh", "vm-provider: docker", "'docker' is not one of"),
    "ssh-no-ip": ("        ip: 192.168.201.7\n", "", "needs its address"),
    "ssh-with-disks": ("    ssh-password: 123\n", "    ssh-password: 123\n    disks: [*base_disk]\n",
                       "has no disks"),
    "url-remote": ("  path: base.qcow2\n", "  url: http://example.org/x.qcow2\n", "offline"),
    "url-missing": ("  path: base.qcow2\n", "  url: file:///nonexistent/x.qcow2\n",
                    "does not exist"),
    "build-not-allowed": ("  name: root\n", "  name: root\n  build: [{virt-customize: "
                          "{install: vim}}]\n", "needs the network"),
    "build-unknown-option": ("  name: root\n", "  name: root\n  build: [{virt-customize: "
                             "{frobnicate: x}}]\n", "not a virt-customize option"),
    "build-shape": ("  name: root\n", "  name: root\n  build: [{ansible: {}}]\n",
                    "a build step is"),
    "build-no-arg": ("  name: root\n", "  name: root\n  build: [{virt-customize: {mkdir: ''}}]\n",
                     "needs an argument"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_lago_keys_are_rejected(envdir, case):
    old, new, expected = BAD[case]
    assert old in LAGO_STYLE
    with pytest.raises(SpecError) as info:
        load(envdir, LAGO_STYLE.replace(old, new, 1))
    assert any(expected in p for p in info.value.problems), info.value.problems


def test_url_and_build_steps_are_kept_for_init(envdir):
    text = LAGO_STYLE.replace("  path: base.qcow2\n", f"  url: file://{envdir}/base.qcow2\n") \
        .replace("  name: root\n", "  name: root\n  build:\n  - virt-customize:\n"
                 "      ssh-inject: ''\n      touch: [/root/a, /root/b]\n"
                 "      write: /etc/motd:hello\n")
    disk = load(envdir, text).domains["lago_basic_suite_4.3_engine"].disks[0]
    assert disk.path == str(envdir / "base.qcow2") and disk.make_a_copy
    assert disk.build == [{"ssh-inject": "", "touch": ["/root/a", "/root/b"],
                           "write": "/etc/motd:hello"}]


def test_an_ssh_machine_is_planned_at_its_own_address_and_nowhere_on_the_nets(envdir):
    import ipaddress
    env = load(envdir, LAGO_STYLE)
    planned = addressing.plan(env, "0123abcd-0000-4000-8000-000000000000",
                              [ipaddress.IPv4Network("192.168.230.0/24")])
    ext = planned["vms"]["lago_basic_suite_4.3_storage"]
    assert (ext["provider"], ext["libvirt_name"], ext["ip"]) == ("ssh", None, "192.168.201.7")
    assert [n["mac"] for n in ext["nics"]] == [None]
    engine = planned["vms"]["lago_basic_suite_4.3_engine"]
    assert engine["ip"].startswith("192.168.230.") and engine["libvirt_name"].endswith("engine")
    names = [n for ns in addressing.dns_hosts(env, state.vms_from_dict(planned["vms"])).values() for n in ns]
    assert "lago-basic-suite-4.3-engine" in names and not any("storage" in n for n in names)
