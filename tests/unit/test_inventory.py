"""Exports, collect, console, export and completion: the pure parts."""
import shlex

import pytest

from lago import virsh
from lago.errors import UsageError

FACTS = {"key": "/w/.lago/p/id_rsa", "known_hosts": "/w/.lago/p/known_hosts",
         "control_dir": "/w/.lago/p/ssh",
         "vms": {"web": {"ip": "192.168.200.2", "user": "root", "groups": ["front", "all-web"],
                         "names": ["web", "web.lago.local"]},
                 "db": {"ip": "192.168.200.3", "user": "admin", "groups": ["back"],
                        "names": ["db", "db.lago.local"]}}}


def test_ansible_inventory_lists_every_vm_with_its_address_and_groups():
    from lago import inventory
    text = inventory.ansible_inventory(FACTS)
    hosts, groups, section = {}, {}, None
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        if line.startswith("["):
            section = line.strip("[]")
            continue
        words = shlex.split(line)
        if section is None:
            hosts[words[0]] = dict(w.split("=", 1) for w in words[1:])
        else:
            groups.setdefault(section, []).append(words[0])
    assert hosts["web"]["ansible_host"] == "192.168.200.2"
    assert hosts["db"]["ansible_user"] == "admin"
    assert hosts["db"]["ansible_ssh_private_key_file"] == "/w/.lago/p/id_rsa"
    assert "UserKnownHostsFile=/w/.lago/p/known_hosts" in hosts["web"]["ansible_ssh_common_args"]
    assert groups == {"all-web": ["web"], "back": ["db"], "front": ["web"]}


def test_ssh_config_has_one_host_block_per_vm_with_the_envs_key():
    from lago import inventory
    text = inventory.ssh_config(FACTS)
    blocks = text.strip().split("\n\n")
    assert [b.splitlines()[0] for b in blocks] == ["Host web", "Host db"]
    assert "    HostName 192.168.200.3" in blocks[1] and "    User admin" in blocks[1]
    assert '    IdentityFile "/w/.lago/p/id_rsa"' in blocks[0]
    assert "StrictHostKeyChecking accept-new" in text and "StrictHostKeyChecking no" not in text
    for block in blocks:
        assert "    ControlMaster auto" in block and '    ControlPath "/w/.lago/p/ssh/%C"' in block


def test_ssh_config_leaves_reuse_out_where_the_socket_path_would_be_too_long():
    from lago import inventory
    deep = dict(FACTS, control_dir="/w/" + "d" * 60 + "/.lago/p/ssh")
    text = inventory.ssh_config(deep)
    assert "ControlMaster" not in text and "ControlPath" not in text
    assert "# no connection reuse" in text
    # At the limit: 107 bytes with ssh's temporary suffix still fit.
    edge = "/" + "e" * (107 - 57 - 2)
    assert "ControlPath" in inventory.ssh_config(dict(FACTS, control_dir=edge))
    assert "ControlPath" not in inventory.ssh_config(dict(FACTS, control_dir=edge + "e"))


def test_hosts_lines():
    from lago import inventory
    assert inventory.hosts(FACTS) == ("192.168.200.2 web web.lago.local\n"
                                      "192.168.200.3 db db.lago.local\n")


def test_virt_copy_out_argv_names_each_disk_format_and_runs_tcg_without_kvm():
    from lago import guestfs
    assert guestfs.copy_out_argv([("/p/a.qcow2", "qcow2"), ("/p/b.raw", "raw")],
                                 ["/var/log", "/etc/hosts"], "/out") == [
        "virt-copy-out", "--format=qcow2", "-a", "/p/a.qcow2", "--format=raw", "-a", "/p/b.raw",
        "/var/log", "/etc/hosts", "/out"]
    assert guestfs.environment("qemu") == {"LIBGUESTFS_BACKEND": "direct",
                                           "LIBGUESTFS_BACKEND_SETTINGS": "force_tcg"}
    assert "LIBGUESTFS_BACKEND_SETTINGS" not in guestfs.environment("kvm")


def test_artifact_paths_stay_below_the_guest_root():
    from lago import collect
    assert collect.relative_paths(["/var/log", "../../x", "etc//hosts/", "/a/../b"]) == [
        "var/log", "x", "etc/hosts", "b"]
    with pytest.raises(UsageError):
        collect.relative_paths(["/.."])


def test_console_argv_keeps_the_attach_banner():
    assert virsh.console_argv("qemu:///system", "lago-1-a") == [
        "virsh", "-c", "qemu:///system", "console", "lago-1-a"]


def test_exported_env_document_loads_again_as_an_env_file(tmp_path):
    import json

    from lago import envfile, export
    for name in ("base.qcow2", "vmlinuz", "initrd", "vm0-root.qcow2"):
        (tmp_path / name).write_bytes(b"x")
    src = tmp_path / "env.json"
    src.write_text(json.dumps({
        "nets": {"lan": {"type": "nat", "gw": "192.168.210.1", "dns_records": {"a": "192.168.210.9"}}},
        "domains": {"vm0": {
            "memory": 300, "provision": "none", "root-password": "pw", "groups": ["g"],
            "nics": [{"net": "lan", "ip": "192.168.210.5"}],
            "disks": [{"name": "root", "type": "file", "path": str(tmp_path / "base.qcow2")}],
            "boot": {"kernel": str(tmp_path / "vmlinuz"), "initrd": str(tmp_path / "initrd"),
                     "cmdline": "root=/dev/vda"},
            "artifacts": ["/var/log"]}}}))
    env = envfile.load_env(str(src), {})
    doc = export.env_document(env, {"vm0": [{"name": "root", "dev": "vda",
                                             "file": "vm0-root.qcow2", "format": "qcow2",
                                             "sha256": "ab" * 32}]})
    out = tmp_path / "export.json"
    out.write_text(json.dumps(doc))
    again = envfile.load_env(str(out), {})
    vm = again.domains["vm0"]
    assert vm.disks[0].path == str(tmp_path / "vm0-root.qcow2")
    assert vm.disks[0].metadata == {"sha256": "ab" * 32}
    assert (vm.memory, vm.root_password, vm.groups, vm.artifacts) == (300, "pw", ["g"],
                                                                      ["/var/log"])
    assert vm.boot.cmdline == "root=/dev/vda" and vm.provision == "none"
    # Addresses are not pinned, so the export can run next to its original.
    assert again.nets["lan"].gw is None and vm.nics[0].ip is None


def test_qemu_img_convert_argv_flattened_or_layered():
    from lago import qemu_img
    assert qemu_img.convert_argv("/p/o.qcow2", "/x/d.qcow2") == [
        "qemu-img", "convert", "-q", "-O", "qcow2", "/p/o.qcow2", "/x/d.qcow2"]
    assert qemu_img.convert_argv("/p/o.qcow2", "/x/d.qcow2", backing="/t/b.raw",
                                 backing_fmt="raw")[5:9] == ["-B", "/t/b.raw", "-F", "raw"]


def _complete(script, words, tmp_path):
    import subprocess
    path = tmp_path / "c.sh"
    path.write_text(script)
    words_s = " ".join(shlex.quote(w) for w in words)
    proc = subprocess.run(["bash", "-c", f'source {path}; COMP_WORDS=({words_s}); '
                           f'COMP_CWORD={len(words) - 1}; _lago_pyz; echo "${{COMPREPLY[@]}}"'],
                          capture_output=True, text=True, check=True, cwd=tmp_path)
    return proc.stdout.split()


def test_bash_completion_of_verbs_options_and_vm_names(tmp_path):
    from lago import cli, completion
    parser = cli.build_parser()
    script = completion.bash_script(completion.verbs_of(parser), completion.options_of(parser))
    fake = tmp_path / "fake-lago"
    fake.write_text("#!/bin/sh\necho '192.168.200.2 web web.lago.local'\n"
                    "echo '192.168.200.3 db db.lago.local'\n")
    fake.chmod(0o755)
    assert _complete(script, [str(fake), "-P", "x", "sn"], tmp_path) == ["snapshot"]
    assert "--delete" in _complete(script, [str(fake), "snapshot", "--d"], tmp_path)
    assert _complete(script, [str(fake), "ssh", "w"], tmp_path) == ["web"]
    assert _complete(script, [str(fake), "-w", "/x", "console", ""], tmp_path) == ["web", "db"]
    assert "ansible_hosts" in completion.verbs_of(parser)
