"""cloud-init seed contents, the ISO tool's argv and the password hashing argv."""
import json

import pytest

from lago import cloudinit, errors, isoimage, openssl

NICS = [{"net": "lan", "ip": "192.168.201.2", "mac": "54:52:c0:a8:c9:02", "dev": "eth0"},
        {"net": "stor", "ip": "192.168.202.7", "mac": "54:52:c0:a8:ca:07", "dev": "eth1"}]
SUBNETS = {"lan": "192.168.201.0/24", "stor": "192.168.202.0/24"}


def test_user_data_is_cloud_config_with_hostname_key_and_only_a_hash():
    text = cloudinit.user_data("vm0", "ssh-rsa AAAA lago\n", "$6$salt$hash")
    assert text.startswith("#cloud-config\n")
    cfg = json.loads(text.split("\n", 1)[1])
    assert cfg["hostname"] == "vm0"
    assert cfg["ssh_authorized_keys"] == ["ssh-rsa AAAA lago"]
    assert cfg["disable_root"] is False
    assert cfg["locale"] is False and cfg["grub_dpkg"] == {"enabled": False}
    assert cfg["chpasswd"]["users"] == [{"name": "root", "password": "$6$salt$hash",
                                         "type": "hash"}]


def test_user_data_for_a_non_root_user_creates_it_with_the_key():
    cfg = json.loads(cloudinit.user_data("vm0", "k", None, "tester").split("\n", 1)[1])
    assert cfg["users"][0]["name"] == "tester" and cfg["users"][0]["ssh_authorized_keys"] == ["k"]
    assert "chpasswd" not in cfg


def test_network_config_matches_by_mac_and_routes_only_via_management():
    cfg = json.loads(cloudinit.network_config(NICS, SUBNETS, ("lan", "192.168.201.1")))
    eth0, eth1 = cfg["ethernets"]["eth0"], cfg["ethernets"]["eth1"]
    assert cfg["version"] == 2
    assert eth0["match"] == {"macaddress": "54:52:c0:a8:c9:02"}
    assert eth0["addresses"] == ["192.168.201.2/24"]
    assert eth0["routes"] == [{"to": "0.0.0.0/0", "via": "192.168.201.1"}]
    assert "routes" not in eth1 and eth1["addresses"] == ["192.168.202.7/24"]


def test_meta_data_names_instance_and_host():
    assert json.loads(cloudinit.meta_data("vm0", "u-vm0")) == {"instance-id": "u-vm0",
                                                               "local-hostname": "vm0"}


def test_iso_argv_for_each_tool():
    assert isoimage.create_argv("genisoimage", "/o.iso", "cidata", ["/t/user-data"]) == [
        "genisoimage", "-quiet", "-output", "/o.iso", "-volid", "cidata", "-joliet", "-rock",
        "/t/user-data"]
    assert isoimage.create_argv("xorriso", "/o.iso", "cidata", [])[:3] == ["xorriso", "-as",
                                                                           "mkisofs"]


def test_iso_tool_is_found_in_order_or_reported_missing():
    assert isoimage.find_tool(lambda t: t == "xorriso") == "xorriso"
    with pytest.raises(errors.ToolMissing):
        isoimage.find_tool(lambda t: None)


def test_password_goes_to_openssl_on_stdin_not_argv():
    assert openssl.passwd_argv() == ["openssl", "passwd", "-6", "-stdin"]
