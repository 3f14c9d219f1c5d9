"""Hostile names and values: rejected with a located message, or carried safely as one argv
item / one XML attribute — never through a shell, never breaking XML, never a traceback."""
import xml.etree.ElementTree as ET

import pytest

from lago import cli, envfile, qemu_img, xmlgen

HOSTILE = ["a'b", "$(x)", "`reboot`", "<x/>", "a\"b", "x" * 300, "ü-名前", "a b", "-rf",
           "a;b", "..", "a\nb", "\u202e", "a&b", "json:{}"]

BASE = """
nets: {lan: {}}
domains:
  vm0:
    provision: none
    root-password: pw
    nics: [{net: lan}]
    disks: [{type: file, path: base.qcow2}]
"""


def yaml_str(value):
    import json
    return json.dumps(value)  # a JSON string is a valid YAML scalar with every escape


@pytest.mark.parametrize("name", HOSTILE)
@pytest.mark.parametrize("slot", ["vm", "net", "disk"])
def test_hostile_names_are_rejected_with_their_location(here, capsys, name, slot):
    text = BASE
    if slot == "vm":
        text = text.replace("  vm0:", f"  {yaml_str(name)}:")
    elif slot == "net":
        text = text.replace("nets: {lan: {}}", f"nets: {{{yaml_str(name)}: {{}}}}").replace(
            "net: lan", f"net: {yaml_str(name)}")
    else:
        text = text.replace("{type: file,", f"{{name: {yaml_str(name)}, type: file,")
    (here / "env.yaml").write_text(text)
    assert cli.main(["up", "env.yaml"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.startswith("lago.pyz: env.yaml:")
    assert {"vm": "domains.", "net": "nets.", "disk": "disks[0].name"}[slot] in err
    assert not (here / ".lago").exists()


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_free_text_is_carried_verbatim_into_xml(here, value):
    (here / "env.yaml").write_text(BASE.replace("root-password: pw",
                                                f"root-password: {yaml_str(value)}\n"
                                                f"    metadata: {{note: {yaml_str(value)}}}"))
    env = envfile.load_env(str(here / "env.yaml"))
    assert env.domains["vm0"].root_password == value
    xml = xmlgen.domain_xml(name="lago-1a2b3c4d-vm0", vm="vm0", domain_type="qemu",
                            arch="x86_64", memory_mib=256, vcpu=1,
                            disks=[{"path": f"/p/{value}.qcow2", "format": "qcow2",
                                    "dev": "vda"}],
                            nics=[], kernel="/k", cmdline=f"console=ttyS0 {value}",
                            prefix=f"/w/{value}", uuid="u")
    root = ET.fromstring(xml)
    assert root.find("os/cmdline").text == f"console=ttyS0 {value}"
    assert root.find("devices/disk/source").get("file") == f"/p/{value}.qcow2"
    assert xmlgen.parse_metadata(xml)["prefix"] == f"/w/{value}"


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_paths_stay_one_argv_item(value):
    argv = qemu_img.create_argv(f"/p/{value}.qcow2", backing=f"/b/{value}", backing_fmt="raw")
    assert argv[-1] == f"/p/{value}.qcow2" and f"/b/{value}" in argv


@pytest.mark.parametrize("name,ok", [("a'b", True), ("$(x)", True), ("x" * 300, False),
                                     ("a\nb", False), ("../x", False), (".hidden", False)])
def test_prefix_names_are_checked_before_anything_is_created(here, capsys, name, ok):
    (here / "env.yaml").write_text(BASE)
    code = cli.main(["-P", name, "validate", "env.yaml"])
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert code == (0 if ok else 2), err
    if not ok:
        assert "not a valid prefix name" in err and len(err.splitlines()) <= 2
        assert cli.main(["-P", name, "up", "env.yaml"]) == 2
        assert not (here / ".lago").exists()


@pytest.mark.parametrize("value", HOSTILE)
@pytest.mark.parametrize("slot", ["ssh-user", "groups", "template_name"])
def test_hostile_values_bound_for_argv_or_line_based_files_are_rejected(here, capsys, value,
                                                                        slot):
    text = BASE
    if slot == "template_name":
        text = text.replace("{type: file, path: base.qcow2}",
                            f"{{type: template, template_name: {yaml_str(value)}}}")
    else:
        text = text.replace("    provision: none", f"    provision: none\n    {slot}: "
                            + (yaml_str(value) if slot == "ssh-user" else f"[{yaml_str(value)}]"))
    (here / "env.yaml").write_text(text)
    assert cli.main(["up", "env.yaml"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.startswith("lago.pyz: env.yaml:")
    assert {"ssh-user": "vm0.ssh-user", "groups": "vm0.groups[0]",
            "template_name": "disks[0].template_name"}[slot] in err
    assert not (here / ".lago").exists()


@pytest.mark.parametrize("value", ["a\x07b", "a\x00b", "\x1b[2J", "a\nb", "a\rb", "\x7f"])
@pytest.mark.parametrize("slot", ["cmdline", "distro", "artifacts", "dns_records", "kernel"])
def test_control_characters_in_free_text_that_reaches_xml_or_files_are_rejected(
        here, capsys, value, slot):
    text = BASE
    if slot == "cmdline":
        text += f"    boot: {{kernel: base.qcow2, cmdline: {yaml_str(value)}}}\n"
    elif slot == "kernel":
        text += f"    boot: {{kernel: {yaml_str('base.qcow2' + value)}}}\n"
    elif slot == "distro":
        text += f"    distro: {yaml_str(value)}\n"
    elif slot == "artifacts":
        text += f"    artifacts: [{yaml_str('/var/log/' + value)}]\n"
    else:
        text = text.replace("nets: {lan: {}}",
                            f"nets: {{lan: {{dns_records: {{{yaml_str(value)}: 192.168.200.9}}}}}}")
    (here / "env.yaml").write_text(text)
    assert cli.main(["validate", "env.yaml"]) == 2
    err = capsys.readouterr().err
    assert "control character" in err and "Traceback" not in err
