"""argv builders and output parsers of the per-tool modules, without running the tools."""
import json

import pytest

from lago import collect, errors, host, iproute, qemu_img, runner, ssh, virsh, xmlgen


def test_overlay_always_names_the_backing_format():
    assert qemu_img.create_argv("/p/o.qcow2", backing="/t/b.raw", backing_fmt="raw") == [
        "qemu-img", "create", "-q", "-f", "qcow2", "-b", "/t/b.raw", "-F", "raw", "/p/o.qcow2"]
    with pytest.raises(ValueError):
        qemu_img.create_argv("/p/o.qcow2", backing="/t/b.raw")


def test_blank_disk_argv():
    assert qemu_img.create_argv("/p/d.raw", fmt="raw", size="1G") == [
        "qemu-img", "create", "-q", "-f", "raw", "/p/d.raw", "1G"]


def test_virsh_argv_and_list_parsing():
    assert virsh.argv("qemu:///system", "list", "--all") == [
        "virsh", "-q", "-c", "qemu:///system", "list", "--all"]
    text = " 1    lago-1-a   running\n -    lago-1-b   shut off\n"
    assert virsh.parse_list(text) == {"lago-1-a": "running", "lago-1-b": "shut off"}
    nets = " default   active   yes   yes\n lago-x   inactive  no  yes\n"
    assert virsh.parse_net_list(nets) == {"default": True, "lago-x": False}


def test_one_virsh_run_lists_domains_and_networks():
    # virsh's echo output runs into the next listing's first line: the separator splits it.
    text = (" 1   lago-1-a   running\n -   lago-1-b   shut off\n"
            "@@lago-inventory@@ default   active   yes   yes\n lago-1-lan   inactive  no  yes\n")
    assert virsh.parse_inventory(text) == ({"lago-1-a": "running", "lago-1-b": "shut off"},
                                           {"default": True, "lago-1-lan": False})
    assert virsh.parse_inventory("@@lago-inventory@@\n") == ({}, {})
    with pytest.raises(errors.ExternalError):
        virsh.parse_inventory(" 1   lago-1-a   running\n")


def test_ssh_command_is_quoted_so_the_remote_sees_the_same_words():
    t = ssh.Target("192.168.200.2", "root", "/p/id_rsa", "/p/known_hosts")
    argv = ssh.command_argv(t, ["sh", "-c", "exit 7"])
    # `--` before the destination: neither it nor the command is read as an ssh option.
    assert argv[-3:] == ["--", "root@192.168.200.2", "sh -c 'exit 7'"]
    assert "UserKnownHostsFile=/p/known_hosts" in argv
    assert "StrictHostKeyChecking=accept-new" in argv
    assert "StrictHostKeyChecking=no" not in argv
    assert argv[argv.index("-i") + 1] == "/p/id_rsa"


def test_ssh_interactive_argv_asks_for_a_tty():
    t = ssh.Target("h", "u", "k", "kh")
    argv = ssh.command_argv(t, None, tty=True)
    assert "-t" in argv and argv[-1] == "u@h"


def test_routes_parsing_ignores_default_and_loopback():
    text = json.dumps([{"dst": "default"}, {"dst": "192.168.122.0/24"}, {"dst": "10.1.2.3"},
                       {"dst": "127.0.0.0/8"}])
    assert [str(n) for n in iproute.parse_routed(text)] == ["10.1.2.3/32", "192.168.122.0/24"]


def test_cpu_flags_decide_kvm():
    assert host.cpu_has_virt("processor: 0\nflags\t: fpu vmx sse\n")
    assert not host.cpu_has_virt("flags\t: fpu sse hypervisor\n")
    assert not host.kvm_usable(dev="/nonexistent", cpuinfo_path="/nonexistent")


def test_runner_masks_secrets_in_logs_and_errors():
    argv = ["sh", "-c", "exit 3", runner.Secret("hunter2")]
    assert "hunter2" not in runner.masked(argv)
    with pytest.raises(runner.CommandFailed) as info:
        runner.run(argv)
    assert info.value.returncode == 3
    assert "hunter2" not in " ".join(info.value.argv)


def test_runner_reports_timeouts_and_missing_tools():
    with pytest.raises(runner.CommandFailed, match="did not finish"):
        runner.run(["sleep", "5"], timeout=0.2)
    with pytest.raises(runner.ToolMissing if hasattr(runner, "ToolMissing") else Exception):
        runner.run(["no-such-tool-xyz"])


def test_subnets_of_a_foreign_libvirt_network_are_parsed_from_its_xml():
    xml = """<network><name>default</name><bridge name='virbr0'/>
      <ip address='192.168.122.1' netmask='255.255.255.0'><dhcp/></ip>
      <ip family='ipv6' address='fd00::1' prefix='64'/>
      <ip address='10.9.0.1' prefix='16'/></network>"""
    assert [str(n) for n in virsh.parse_network_subnets(xml)] == ["192.168.122.0/24",
                                                                  "10.9.0.0/16"]
    assert virsh.parse_network_subnets("<network><name>x</name></network>") == []


def test_bridge_is_made_with_its_options_before_the_type_and_holds_the_gateway():
    from lago import iproute
    assert iproute.add_bridge_argvs("lago1n0", "10.0.0.1/24", 1400) == [
        ["ip", "link", "add", "name", "lago1n0", "mtu", "1400", "type", "bridge", "stp_state", "0"],
        ["ip", "addr", "add", "10.0.0.1/24", "dev", "lago1n0"],
        ["ip", "link", "set", "dev", "lago1n0", "up"]]


def test_vnc_port_is_read_from_the_live_domain_xml():
    live = ("<domain><devices><graphics type='vnc' port='5901' autoport='yes'>"
            "<listen type='address' address='127.0.0.1'/></graphics></devices></domain>")
    assert virsh.parse_vnc_port(live) == 5901
    assert virsh.parse_vnc_port(live.replace("5901", "-1")) is None  # not running yet
    assert virsh.parse_vnc_port("<domain><devices/></domain>") is None


def test_guest_agent_ping_argv_has_its_own_timeout():
    assert virsh.agent_ping_argv("qemu:///system", "lago-1-vm0", 5) == [
        "virsh", "-q", "-c", "qemu:///system", "qemu-agent-command", "lago-1-vm0",
        '{"execute":"guest-ping"}', "--timeout", "5"]


def test_domain_xml_offers_a_local_vnc_display_and_the_guest_agent_port():
    import xml.etree.ElementTree as ET
    xml = xmlgen.domain_xml(name="lago-1-vm0", vm="vm0", domain_type="qemu", arch="x86_64",
                            memory_mib=256, vcpu=1, disks=[], nics=[])
    dev = ET.fromstring(xml).find("devices")
    assert dev.find("graphics/listen").get("address") == "127.0.0.1"
    assert dev.find("channel/target").get("name") == "org.qemu.guest_agent.0"


def test_extract_batches_never_put_two_same_named_paths_in_one_copy_out():
    paths = ["/etc/hosts", "/var/log", "/tmp/hosts", "/srv/log", "/x/hosts", "/a/b"]
    groups = collect.batches(paths)
    assert groups == [[0, 1, 5], [2, 3], [4]]
    for g in groups:
        names = [paths[i].rsplit("/", 1)[1] for i in g]
        assert len(names) == len(set(names))


def test_rebase_unsafe_points_an_overlay_at_a_relative_backing_without_reading_it():
    assert qemu_img.rebase_unsafe_argv("/x/vm0-root.qcow2", "templates/t.qcow2", "qcow2") == [
        "qemu-img", "rebase", "-q", "-u", "-b", "templates/t.qcow2", "-F", "qcow2",
        "/x/vm0-root.qcow2"]


def test_a_network_is_defined_and_started_by_one_virsh_run():
    from lago import virsh
    assert virsh.net_define_start_command("lago-0a1b2c3d-lan_2.x") == (
        "net-define /dev/stdin; net-start lago-0a1b2c3d-lan_2.x")
    # The name is a word of virsh's command string: nothing that string could split or quote.
    for bad in ("a b", "a;b", "a'b", 'a"b', "a\\b", ""):
        with pytest.raises(ValueError):
            virsh.net_define_start_command(bad)


def test_a_failure_early_in_a_virsh_command_string_is_not_lost():
    # virsh exits with the last command's status: the first one's error is only on stderr.
    with pytest.raises(errors.ExternalError, match="virsh: internal error: no domains"):
        virsh.check_command_string("error: failed to list domains\n"
                                   "error: internal error: no domains\n")
    virsh.check_command_string("")  # a clean run
    virsh.check_command_string("warning: something to know\n")
