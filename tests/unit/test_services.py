"""Guest services, pure parts: the manager probe, argv per manager, state parsing."""
import os
import subprocess

import pytest

from lago import services
from lago.errors import ExternalError, UsageError

SYSTEMD = {"init": "systemd"}


def test_probe_reports_init_sysv_script_and_container_runtime(tmp_path):
    """The probe script run for real by sh, with a PATH holding only fake tools."""
    for tool in ("service", "docker"):
        os.symlink("/bin/true", tmp_path / tool)
    argv = services.probe_argv("ssh")
    assert argv[:2] == ["sh", "-c"] and argv[3:] == ["lago-service", "ssh"]
    out = subprocess.run(["/bin/sh", *argv[1:]], env={"PATH": str(tmp_path)},
                         capture_output=True, text=True, check=True).stdout
    facts = services.parse_probe(out)
    assert facts["init"] == "sysv"  # no systemctl on that PATH, whatever this host runs
    assert facts["runtime"] == "docker"
    assert ("sysv_script" in facts) == os.path.exists("/etc/init.d/ssh")
    empty = tmp_path / "empty"
    empty.mkdir()
    out = subprocess.run(["/bin/sh", *argv[1:]], env={"PATH": str(empty)},
                         capture_output=True, text=True, check=True).stdout
    assert services.parse_probe(out)["init"] == "none"
    assert "runtime" not in services.parse_probe(out)


def test_manager_is_chosen_from_the_facts():
    assert services.manager({"init": "systemd"}) == "systemd"
    assert services.manager({"init": "sysv"}) == "sysv"
    assert services.manager({"init": "none"}) == "none"
    assert services.manager({}) == "none"
    assert services.manager({"init": "systemd", "runtime": "podman"}, "vdsmc") == "container"
    with pytest.raises(UsageError, match="neither podman nor docker"):
        services.manager({"init": "systemd"}, "vdsmc")


def test_argv_per_manager():
    assert services.status_argv("systemd", "ssh", SYSTEMD) == [
        "systemctl", "show", "--property=LoadState,ActiveState", "--", "ssh"]
    assert services.action_argv("systemd", "stop", "ssh", SYSTEMD) == [
        "systemctl", "stop", "--", "ssh"]
    assert services.status_argv("sysv", "ssh", {}) == ["service", "ssh", "status"]
    assert services.action_argv("sysv", "start", "ssh", {}) == ["service", "ssh", "start"]
    facts = {"init": "systemd", "runtime": "podman"}
    assert services.status_argv("container", "vdsmd", facts, "vdsmc")[:5] == [
        "podman", "exec", "vdsmc", "systemctl", "show"]
    assert services.action_argv("container", "start", "vdsmd", facts, "vdsmc") == [
        "podman", "exec", "vdsmc", "systemctl", "start", "--", "vdsmd"]
    with pytest.raises(ValueError):
        services.action_argv("systemd", "restart", "ssh", SYSTEMD)
    with pytest.raises(ValueError):
        services.status_argv("none", "ssh", {})


@pytest.mark.parametrize("out,state", [
    ("LoadState=loaded\nActiveState=active\n", "active"),
    ("ActiveState=reloading\nLoadState=loaded\n", "active"),
    ("LoadState=loaded\nActiveState=inactive\n", "inactive"),
    ("LoadState=loaded\nActiveState=failed\n", "inactive"),
    ("LoadState=masked\nActiveState=inactive\n", "inactive"),
    ("LoadState=not-found\nActiveState=inactive\n", "missing"),
])
def test_systemd_state_from_systemctl_show(out, state):
    assert services.parse_status("systemd", 0, out, SYSTEMD) == state


def test_systemctl_without_an_answer_is_an_external_error():
    with pytest.raises(ExternalError):
        services.parse_status("container", 1, "Error: no container with name vdsmc", {})


def test_sysv_state_from_the_lsb_exit_code_and_the_script():
    assert services.parse_status("sysv", 0, "", {"sysv_script": "yes"}) == "active"
    assert services.parse_status("sysv", 3, "", {"sysv_script": "yes"}) == "inactive"
    assert services.parse_status("sysv", 1, "unrecognized service", {}) == "missing"
    assert services.parse_status("none", 0, "", {}) == "missing"


@pytest.mark.parametrize("name", ["", "-x", "a b", "a;b", "$(reboot)", "x" * 300, "a\nb"])
def test_bad_service_names_are_usage_errors(name):
    with pytest.raises(UsageError):
        services.probe_argv(name)


@pytest.mark.parametrize("name", ["ssh", "sshd.service", "getty@tty1", "systemd-networkd"])
def test_good_service_names(name):
    assert services.check_name(name) == name
