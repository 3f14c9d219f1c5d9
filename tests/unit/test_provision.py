"""Provisioning: virt-sysprep argv and commands file, guest network files per distro family."""
import os

import pytest

from lago import guestfs, netconfig, provision

NIC0 = {"net": "lan", "ip": "192.168.201.2", "mac": "54:52:c0:a8:c9:02", "dev": "eth0"}
NIC1 = {"net": "stor", "ip": "192.168.202.7", "mac": "54:52:c0:a8:ca:07", "dev": "eth1"}
SUBNETS = {"lan": "192.168.201.0/24", "stor": "192.168.202.0/24"}


def test_sysprep_argv_names_only_disks_and_the_commands_file():
    argv = guestfs.sysprep_argv([("/p/images/vm0-root.qcow2", "qcow2")], "/p/.s/commands")
    assert argv == ["virt-sysprep", "--quiet", "--operations", "defaults,-ssh-hostkeys",
                    "--format", "qcow2", "-a", "/p/images/vm0-root.qcow2",
                    "--commands-from-file", "/p/.s/commands"]


def test_commands_file_sets_hostname_key_files_new_host_keys_and_relabels_last():
    text = guestfs.sysprep_commands(
        hostname="vm0", pubkey_file="/p/id_rsa.pub",
        uploads=[("/p/.s/net0", "/etc/NetworkManager/system-connections/lago-eth0.nmconnection",
                  "0600")], host_keys=["/p/.s/ssh_host_ed25519_key"], selinux_relabel=True,
        iscsi_iqn="iqn.2014-07.org.lago:ab12:vm0")
    lines = text.splitlines()
    # No operation that starts Augeas in the appliance (hostname, ssh-inject, root-password).
    assert lines[:3] == ["write /etc/hostname:vm0", "touch /etc/hosts",
                         r"edit /etc/hosts:s/^(127\.0\.1\.1\s+).*$/${1}vm0/"]
    assert not [line for line in lines if line.split()[0] in ("hostname", "ssh-inject")]
    key = lines.index("upload /p/id_rsa.pub:/root/.ssh/authorized_keys")
    assert lines[key - 2:key] == ["mkdir /root/.ssh", "chmod 0700:/root/.ssh"]
    assert lines[key + 1] == "chmod 0600:/root/.ssh/authorized_keys"
    assert "mkdir /etc/NetworkManager/system-connections" in lines
    up = lines.index("upload /p/.s/net0:/etc/NetworkManager/system-connections/lago-eth0.nmconnection")
    assert lines[up + 1] == "chmod 0600:/etc/NetworkManager/system-connections/lago-eth0.nmconnection"
    delete = lines.index("delete /etc/ssh/ssh_host_*_key")
    key = lines.index("upload /p/.s/ssh_host_ed25519_key:/etc/ssh/ssh_host_ed25519_key")
    assert delete < key and lines[key + 1] == "chmod 0600:/etc/ssh/ssh_host_ed25519_key"
    assert lines[key + 2:key + 4] == [
        "upload /p/.s/ssh_host_ed25519_key.pub:/etc/ssh/ssh_host_ed25519_key.pub",
        "chmod 0644:/etc/ssh/ssh_host_ed25519_key.pub"]
    assert not [line for line in lines if line.startswith("run-command")]
    assert "write /etc/iscsi/initiatorname.iscsi:InitiatorName=iqn.2014-07.org.lago:ab12:vm0" in lines
    assert lines.index("mkdir /etc/cloud") < lines.index("touch /etc/cloud/cloud-init.disabled")
    assert lines[-1] == "selinux-relabel"


def test_the_root_password_goes_in_as_a_hash_edited_into_shadow_and_is_not_logged():
    text = guestfs.sysprep_commands(hostname="h", pubkey_file="/k",
                                    root_hash="$6$s.Alt/$h4sH")
    edit = [line for line in text.splitlines() if line.startswith("edit /etc/shadow:")]
    # Perl would read $6 as a variable: every $ is escaped.
    assert edit == [r"edit /etc/shadow:s{^root:[^:]*:}{root:\$6\$s.Alt/\$h4sH:}"]
    assert "h4sH" not in guestfs.masked_commands(text)
    assert "edit /etc/shadow:******" in guestfs.masked_commands(text)
    # Nothing but a crypt hash is put into the expression.
    with pytest.raises(ValueError):
        guestfs.sysprep_commands(hostname="h", pubkey_file="/k", root_hash="x}; system(1)")


def test_a_user_other_than_root_gets_the_key_by_ssh_inject():
    text = guestfs.sysprep_commands(hostname="h", pubkey_file="/k", ssh_user="cloud")
    assert "ssh-inject cloud:file:/k" in text.splitlines()
    assert "/root/.ssh" not in text and "shadow" not in text


def test_no_relabel_outside_el():
    text = guestfs.sysprep_commands(hostname="h", pubkey_file="/k")
    assert "selinux-relabel" not in text


def test_distro_family():
    assert netconfig.family("debian12") == "debian"
    assert netconfig.family("Ubuntu-22.04") == "debian"
    assert netconfig.family("el9") == "el"
    assert netconfig.family("fedora40") == "el"
    assert netconfig.family(None) == "unknown"
    assert netconfig.family("tiny") == "unknown"


def test_debian_gets_networkd_files_matched_by_mac_and_only_management_has_the_gateway():
    files = netconfig.files("debian", [NIC0, NIC1], SUBNETS, ("lan", "192.168.201.1"))
    assert [f[0] for f in files] == ["/etc/systemd/network/10-lago-eth0.network",
                                     "/etc/systemd/network/10-lago-eth1.network"]
    assert files[0][1] == ("[Match]\nMACAddress=54:52:c0:a8:c9:02\n\n[Network]\n"
                           "Address=192.168.201.2/24\nGateway=192.168.201.1\nDNS=192.168.201.1\n")
    assert "Gateway" not in files[1][1] and "Address=192.168.202.7/24" in files[1][1]


def test_el_gets_private_nm_keyfiles():
    files = netconfig.files("el", [NIC0, NIC1], SUBNETS, ("lan", "192.168.201.1"))
    path, text, mode = files[0]
    assert path == "/etc/NetworkManager/system-connections/lago-eth0.nmconnection"
    assert mode == "0600"
    assert "mac-address=54:52:C0:A8:C9:02" in text
    assert "address1=192.168.201.2/24,192.168.201.1" in text
    assert "never-default=true" in files[1][1] and "192.168.201.1" not in files[1][1]


def test_unknown_family_gets_both_kinds():
    files = netconfig.files("unknown", [NIC0], SUBNETS, ("lan", "192.168.201.1"))
    assert len(files) == 2


def test_secret_files_are_created_private(tmp_path):
    path = os.path.join(tmp_path, "pw")
    provision._write_private(path, "s3cret\n")
    assert oct(os.stat(path).st_mode & 0o777) == "0o600"


# --- one appliance for several guests (guestfish.py) ---

def test_roots_are_the_disks_own_file_systems_of_a_mountable_kind():
    from lago import guestfish
    fss = guestfish.parse_filesystems("/dev/sda: ext4\n/dev/sdb1: xfs\n/dev/sdb2: swap\n"
                                      "/dev/sdc1: btrfs\n/dev/vg/root: ext4\n/dev/sdaa1: ext4\n")
    assert guestfish.roots_by_disk(["/dev/sda", "/dev/sdb", "/dev/sdc"], fss) == {
        0: ["/dev/sda"], 1: ["/dev/sdb1"], 2: []}  # btrfs and LVM are left to virt-sysprep


def test_the_probe_output_gives_each_candidate_its_fstab():
    from lago import guestfish
    script = guestfish.probe_script({0: ["/dev/sda"], 1: ["/dev/sdb1", "/dev/sdb2"]}, "/t",
                                    ["/etc/shadow"], "@@m")
    assert '-mount-ro "/dev/sdb2" /' in script and "echo @@m 1 /dev/sdb2" in script
    assert '-download "/etc/shadow" "/t/1-1-shadow"' in script
    out = ("@@m 0 /dev/sda\n/dev/vda / ext4 rw 0 1\n@@m 1 /dev/sdb1\n"
           "@@m 1 /dev/sdb2\nUUID=x / xfs defaults 0 0\nUUID=y /var xfs defaults 0 0\n")
    found = guestfish.parse_probe(out, "@@m")
    assert found[0] == [("/dev/sda", "/dev/vda / ext4 rw 0 1\n")]
    assert found[1][0] == ("/dev/sdb1", "")
    assert not guestfish.simple_fstab(found[1][1][1])  # /var elsewhere: not written here
    assert guestfish.simple_fstab(found[0][0][1])
    assert guestfish.simple_fstab("# c\nUUID=a / ext4 x 0 1\nUUID=b none swap sw 0 0\n"
                                  "UUID=c /boot/efi vfat x 0 2\nproc /proc proc defaults 0 0\n")


def test_a_guest_fstab_cannot_pose_as_another_disks_root():
    """The probe prints each guest's /etc/fstab between marker lines: a guest that writes
    marker-like lines into its fstab must not create an entry for another disk (it would be
    configured with that VM's host keys and password hash)."""
    from lago import guestfish
    mark = guestfish.new_mark()
    assert mark != guestfish.new_mark() and len(mark) > 30
    hostile = "@@lago 1 /dev/sda\n@@lago- 1 /dev/sda\n/dev/vda / ext4 rw 0 1\n"
    out = f"{mark} 0 /dev/sda\n{hostile}{mark} 1 /dev/sdb\n"
    found = guestfish.parse_probe(out, mark)
    assert found == {0: [("/dev/sda", hostile)], 1: [("/dev/sdb", "")]}


def test_the_configure_script_holds_paths_only_and_quotes_them():
    from lago import guestfish
    text = guestfish.configure_script("/dev/sdb", '/p a/"x".tar', [("/p/shadow", "/etc/shadow")])
    lines = text.splitlines()
    assert lines[0] == 'mount "/dev/sdb" /' and lines[-1] == "umount-all"
    assert 'tar-in "/p a/\\"x\\".tar" /' in lines
    assert lines[-2] == 'upload "/p/shadow" "/etc/shadow"'
    assert "-glob rm-f /etc/ssh/ssh_host_*" in lines  # the template's host keys go
    assert lines.index("-rm-rf /root/.ssh") < lines.index('tar-in "/p a/\\"x\\".tar" /')


def test_shadow_and_hosts_are_edited_on_the_host():
    shadow = "daemon:*:1::::::\nroot:*:19000:0:99999:7:::\nrooty:x:1::::::\n"
    assert guestfs.with_root_hash(shadow, "$6$s$h/.") == \
        "daemon:*:1::::::\nroot:$6$s$h/.:19000:0:99999:7:::\nrooty:x:1::::::\n"
    with pytest.raises(ValueError):
        guestfs.with_root_hash(shadow, "x:y")
    assert guestfs.hosts_naming("127.0.0.1 localhost\n127.0.1.1\tdebian-template\n", "deb0") \
        == "127.0.0.1 localhost\n127.0.1.1\tdeb0\n"
    assert guestfs.hosts_naming("127.0.0.1 localhost\n", "deb0") == "127.0.0.1 localhost\n"
