"""Lago's command line as its users' scripts call it: aliases and flags beside ours."""
import os

import pytest

from lago import cli, guestfs, inventory, qemu_img
from lago.commands.base import flat_lines

GOOD = """
nets: {lan: {}}
domains:
  vm_0:
    provision: none
    nics: [{net: lan}]
    disks: [{type: file, path: base.qcow2}]
"""


def parse(argv):
    return cli.build_parser(cli.modules_for(argv)).parse_args(argv)


@pytest.mark.parametrize("argv,verb", [
    (["copy-to-vm", "vm", "a", "b"], "copy-to"),
    (["copy-from-vm", "vm", "a", "b"], "copy-from"),
    (["ansible_hosts", "--keys", "vm-type", "groups"], "ansible-inventory"),
])
def test_lagos_verb_names_are_aliases_of_ours(argv, verb):
    assert parse(argv).verb_command.name == verb


def test_lagos_global_options_are_second_names_of_ours():
    args = parse(["--workdir-path", "/w", "--prefix-name", "p", "--libvirt_url", "qemu:///x",
                  "--ssh-user", "admin", "--lease_dir", "/l", "status", "--out-format", "yaml"])
    assert (args.workdir, args.prefix, args.libvirt_url) == ("/w", "p", "qemu:///x")
    assert (args.ssh_user, args.lease_dir, args.out_format) == ("admin", "/l", "yaml")


def test_lagos_init_arguments(here):
    args = parse(["init", "--template-repo-path", "/r.json", "--template-store", "/s",
                  "--set-current", "--skip-build"])
    assert (args.envfile, args.workdir_arg) == ("LagoInitFile", None)
    assert (args.template_repo, args.template_store, args.set_current, args.skip_build) == \
        ("/r.json", "/s", True, True)
    assert parse(["init", "my.yaml", "wd"]).workdir_arg == "wd"
    other = parse(["destroy", "--all-prefixes", "-y"])
    assert other.all_prefixes and other.yes
    assert parse(["collect", "-o", "d", "--no-skip"]).no_skip
    exp = parse(["export", "--dst-dir", "d", "--vm-names", "a", "b", "--compress",
                 "--init-file-name", "LagoInitFile"])
    assert (exp.output, exp.vm_names, exp.compress, exp.init_file_name) == \
        ("d", ["a", "b"], True, "LagoInitFile")


def test_init_without_a_file_reads_lagoinitfile_in_the_cwd(here, capsys):
    assert cli.main(["init"]) == 2
    assert "LagoInitFile: no such env file" in capsys.readouterr().err
    assert not (here / ".lago").exists()


def test_prefix_path_names_the_workdir_and_the_prefix(here, capsys):
    os.makedirs(here / "wd" / "p1")
    os.makedirs(here / "wd" / "p2")
    assert cli.main(["--prefix-path", str(here / "wd" / "p2"), "list", "--json"]) == 0
    assert '"workdir": "%s"' % (here / "wd") in capsys.readouterr().out


def test_validate_with_ssh_user_sets_the_default_user(here, capsys):
    (here / "env.yaml").write_text(GOOD)
    assert cli.main(["--ssh-user", "admin", "validate", "env.yaml", "--json"]) == 0
    assert '"ssh_user": "admin"' in capsys.readouterr().out


def test_flat_output_is_one_line_per_leaf_with_its_path():
    data = {"vms": {"vm0": {"ip": "1.2.3.4", "nics": [{"net": "lan"}, {"net": "back"}]}},
            "prefix": "default"}
    assert flat_lines(data) == ["prefix: default", "vms/vm0/ip: 1.2.3.4",
                                "vms/vm0/nics/net: lan", "vms/vm0/nics/net: back"]


def test_ansible_keys_group_by_spec_values_as_lago_did():
    facts = {"key": "/k", "known_hosts": "/kh", "control_dir": "/c", "vms": {
        "e": {"ip": "1.1.1.2", "user": "root", "groups": ["g"], "names": ["e"],
              "spec": {"vm-type": "ovirt-engine", "groups": ["g"], "vm-provider": "ssh",
                       "metadata": {"role": "db"}}},
        "h": {"ip": "1.1.1.3", "user": "root", "groups": [], "names": ["h"],
              "spec": {"vm-type": "ovirt-host", "groups": [], "vm-provider": "local-libvirt",
                       "metadata": {}}}}}
    text = inventory.ansible_inventory(facts, ["vm-type", "groups", "vm-provider", "metadata/role"])
    sections = {}
    current = None
    for line in text.splitlines():
        if line.startswith("["):
            current = line.strip("[]")
        elif current and line:
            sections.setdefault(current, []).append(line)
    assert sections == {"g": ["e"], "groups=g": ["e"], "vm-type=ovirt-engine": ["e"],
                        "vm-type=ovirt-host": ["h"], "vm-provider=ssh": ["e"],
                        "vm-provider=local-libvirt": ["h"], "metadata/role=db": ["e"]}
    assert "[vm-type" not in inventory.ansible_inventory(facts)


def test_build_steps_become_one_virt_customize_argv_without_a_shell():
    steps = [{"ssh-inject": "", "touch": ["/root/a", "/root/b"], "write": "/etc/motd:hi; rm -rf /",
              "selinux-relabel": ""}, {"run-command": "echo $HOME > /x"}]
    assert guestfs.customize_argv(("/p/vm.qcow2", "qcow2"), steps, "/p/id_rsa.pub") == [
        "virt-customize", "--quiet", "--no-network", "--format", "qcow2", "-a", "/p/vm.qcow2",
        "--ssh-inject", "root:file:/p/id_rsa.pub", "--touch", "/root/a", "--touch", "/root/b",
        "--write", "/etc/motd:hi; rm -rf /", "--selinux-relabel",
        "--run-command", "echo $HOME > /x"]


def test_build_options_outside_the_allow_list_are_named():
    found = dict(guestfs.customize_problems({"install": "vim", "mkdir": "/x", "rm": "/",
                                             "touch": "", "ssh-inject": ""}))
    assert set(found) == {"install", "rm", "touch"}
    assert "network" in found["install"] and "needs an argument" in found["touch"]


def test_compressed_export_convert_argv():
    assert qemu_img.convert_argv("a", "b", compress=True) == [
        "qemu-img", "convert", "-q", "-O", "qcow2", "-c", "a", "b"]


def test_a_sysprepped_disks_build_steps_join_its_commands_file_before_the_relabel():
    steps = [{"ssh-inject": "", "write": "/etc/motd:hi there", "selinux-relabel": ""}]
    lines = guestfs.customize_lines(steps, "/p/id_rsa.pub")
    assert lines == ["ssh-inject root:file:/p/id_rsa.pub", "write /etc/motd:hi there",
                     "selinux-relabel"]
    text = guestfs.sysprep_commands(hostname="h", pubkey_file="/k", selinux_relabel=True,
                                    build=lines).splitlines()
    assert text[-4:] == lines + ["selinux-relabel"]
    found = dict(guestfs.customize_problems({"write": "/a:line1\nline2"}))
    assert "one line" in found["write"]
