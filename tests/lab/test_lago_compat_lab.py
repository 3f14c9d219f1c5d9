"""A Lago-style env (a LagoInitFile with Lago's constructs) comes up on real libvirt, and Lago's
verbs work on it, including a vm-provider ssh machine that another env's VM is and a disk
build step (virt-customize) run by init."""
import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET

import yaml

from conftest import virsh, write_env

LONG_NET = "lago-compat-suite-4.3-net-management-and-storage"
VM = "lago_compat_vm.01"
EXT = "lago_compat_ext"
PASSWORD = 123456  # an integer in the file, as Lago's users wrote it


def lago_init_file(template, ext_ip):
    return f"""
base_disk: &base_disk
  name: root
  type: file
  url: file://{template['disk']}
  format: qcow2
  build:
    - virt-customize:
        mkdir: /etc/compat
        write: [/etc/compat/built:by a build step, /etc/compat/second:2]

base_vm: &base_vm
  memory: 128
  provision: none
  root-password: {template['root-password']}
  boot:
    kernel: {template['kernel_path']}
    initrd: {template['initrd_path']}
    cmdline: {template['cmdline']}
  nics:
    - net: {LONG_NET}
  disks:
    - *base_disk

domains:
  {VM}:
    <<: *base_vm
    memory: 192
    cpu_model: Westmere
  {EXT}:
    vm-provider: ssh
    ssh-password: {PASSWORD}
    metadata:
      deploy-scripts: [deploy.sh]
    artifacts: [/tmp/compat-marker]
    nics:
      - net: {LONG_NET}
        ip: {ext_ip}
nets:
  {LONG_NET}:
    type: nat
    management: true
"""


def test_a_lago_style_env_comes_up_and_lagos_verbs_work_on_it(lago, template, tmp_path, pyz):
    # The first env's VM is the existing machine the second env reaches over ssh; its root
    # password becomes the second env file's integer password.
    lago.run("-P", "first", "up", write_env(tmp_path, template, {"base": [{"net": "lan"}]}))
    ext_ip = lago.json("-P", "first", "status")["vms"]["base"]["ip"]
    hashed = subprocess.run(["openssl", "passwd", "-6", str(PASSWORD)], capture_output=True,
                            text=True, check=True).stdout.strip()
    lago.run("-P", "first", "ssh", "base", "--", "sed", "-i", f"s|^root:[^:]*:|root:{hashed}:|",
             "/etc/shadow")

    suite = tmp_path / "suite"
    suite.mkdir()
    (suite / "LagoInitFile").write_text(lago_init_file(template, ext_ip))
    (suite / "deploy.sh").write_text("#!/bin/sh\necho deployed > /tmp/compat-deployed\n")

    def run(*args, check=True):
        proc = subprocess.run([sys.executable, pyz, *args], cwd=suite, capture_output=True,
                              text=True, env=lago.env, timeout=600)
        assert not check or proc.returncode == 0, (args, proc.stdout, proc.stderr)
        return proc

    try:
        run("init")  # LagoInitFile of the current directory, workdir ./.lago
        run("up", "LagoInitFile")
        status = yaml.safe_load(run("status", "--out-format", "yaml").stdout)
        assert status["vms"][VM]["state"] == "running"
        assert status["vms"][EXT]["state"] == "external" and status["vms"][EXT]["ip"] == ext_ip
        net_lv = status["nets"][LONG_NET]["libvirt_name"]
        assert LONG_NET not in net_lv and len(net_lv) <= 46 and status["nets"][LONG_NET]["state"] == "up"

        dom = ET.fromstring(virsh("dumpxml", status["vms"][VM]["libvirt_name"]))
        assert dom.find("memory").text == str(192 * 1024)  # the override beside the merge
        assert dom.find("cpu/model").text == "Westmere"
        # url: the env's own copy of the image, no overlay on it.
        disk = dom.find("devices/disk/source").get("file")
        info = json.loads(subprocess.run(["qemu-img", "info", "--output", "json", "-U", disk],
                                         capture_output=True, text=True, check=True).stdout)
        assert disk.startswith(str(suite)) and "backing-filename" not in info
        built = run("ssh", VM, "--", "cat", "/etc/compat/built", "/etc/compat/second").stdout
        assert built == "by a build step2"  # virt-customize --write adds no newline
        cpuinfo = run("ssh", VM, "--", "cat", "/proc/cpuinfo").stdout
        assert "Westmere" in cpuinfo, cpuinfo[:400]

        # copy-to-vm on the ssh machine lands on the first env's VM: it is that machine.
        (tmp_path / "marker").write_text("from the suite\n")
        run("copy-to-vm", EXT, str(tmp_path / "marker"), "/tmp/compat-marker")
        seen = lago.run("-P", "first", "ssh", "base", "--", "cat", "/tmp/compat-marker").stdout
        assert seen == "from the suite\n"
        run("deploy")
        assert lago.run("-P", "first", "ssh", "base", "--", "cat",
                        "/tmp/compat-deployed").stdout == "deployed\n"
        run("collect", "--output", str(tmp_path / "out"), EXT)
        assert (tmp_path / "out" / EXT / "tmp" / "compat-marker").read_text() == "from the suite\n"
        api = subprocess.run([sys.executable, "-c", (
            "import sys; sys.path.insert(0, sys.argv[1]); import lago; "
            "vm = lago.load(workdir='.lago').vm(sys.argv[2]); "
            "print(vm.state(), vm.alive(), vm.ssh(['cat', '/tmp/compat-marker']).stdout.strip())"),
            pyz, EXT], cwd=suite, capture_output=True, text=True, env=lago.env, timeout=120)
        assert api.stdout.strip() == "external True from the suite", api.stderr

        for verb in ("stop", "start"):
            said = run(verb, EXT)
            assert "vm-provider ssh" in said.stderr, (verb, said.stderr)
        assert run("ssh", EXT, "--", "true").returncode == 0
    finally:
        done = run("destroy", "--all-prefixes", "-y", check=False)
    assert done.returncode == 0, done.stderr
    assert [p for p in os.listdir(suite / ".lago") if p != "current"] == []
    # The ssh machine is another env's VM: destroying this env left it running.
    assert lago.run("-P", "first", "ssh", "base", "--", "true").returncode == 0
