"""Provisioning: virt-sysprep argv and commands file, guest network files per distro family."""
import os

import pytest

from lago import guestfish, guestfs, netconfig, provision

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

def test_disks_are_named_in_the_order_added_and_partitions_found_by_disk():
    assert [guestfish.device(i) for i in (0, 1, 25, 26, 27, 701, 702)] == [
        "/dev/sda", "/dev/sdb", "/dev/sdz", "/dev/sdaa", "/dev/sdab", "/dev/sdzz", "/dev/sdaaa"]
    parts = guestfish.sections("@@m partitions\n/dev/sdb15\n/dev/sdb1\n/dev/sdb2\n/dev/sdc1\n"
                               "/dev/sdbb1\n", "@@m")["partitions"]
    assert guestfish.partitions_of("/dev/sdb", parts) == ["/dev/sdb1", "/dev/sdb2", "/dev/sdb15"]
    assert guestfish.partitions_of("/dev/sda", parts) == []


def read_output(mark, files, stats=None, trees=None):
    """What read_script prints for guest ``files`` {path: bytes as text, or None: absent};
    ``stats`` {path: (uid, gid, st_mode)}, default a root-owned 0644 file of its size."""
    out = []
    for path, text in files.items():
        out.append(f"{mark} stat {path}")
        if text is not None:
            uid, gid, mode = (stats or {}).get(path, (0, 0, 0o100644))
            size = len(text.encode("utf-8", "surrogateescape"))
            out.append(f"st_dev: 2048\nst_mode: {mode}\nst_uid: {uid}\nst_gid: {gid}\n"
                       f"st_size: {size}\nst_blocks: 8\n")
    for path, text in files.items():
        out.append(f"{mark} text {path}\n" + (text or "") + "\n")  # pread's bytes, then echo ""
    for pattern, found in (trees or {}).items():
        out.append(f"{mark} glob {pattern}\n" + "".join(f"{f}\n" for f in found))
    return "".join(line if line.endswith("\n") else line + "\n" for line in out)


def test_the_read_script_mounts_the_root_once_and_reads_back_each_file_whole():
    script = guestfish.read_script("/dev/sdb1", ["/etc/fstab"], ["/etc/machine-id"],
                                   "@@m").splitlines()
    # Mounted as ext4, by device: nothing else on the disk (a btrfs clone sharing its UUID
    # with another VM's) can be what gets mounted.
    assert script[0] == '-mount-vfs "" ext4 "/dev/sdb1" /' and "umount-all" not in script
    assert '-pread "/etc/fstab" 262144 0' in script and '-lstatns "/etc/fstab"' in script
    assert '-lstatns "/etc/machine-id"' in script and '-pread "/etc/machine-id" 262144 0' \
        not in script
    text = read_output("@@m", {"/etc/fstab": "/dev/vda / ext4 rw 0 1\n",
                               "/etc/shadow": "root:*:1::::::\n", "/etc/hosts": None,
                               "/etc/machine-id": ""}, {"/etc/shadow": (0, 42, 0o100640)})
    found = guestfish.parse_read(text, "@@m")
    assert found.files == {"/etc/fstab": "/dev/vda / ext4 rw 0 1\n",
                           "/etc/shadow": "root:*:1::::::\n", "/etc/machine-id": ""}
    assert found.owners["/etc/shadow"] == (0, 42, 0o640) and found.trees == []
    # A link is not a regular file: not read, not counted as there.
    text = read_output("@@m", {"/etc/hosts": "x\n"}, {"/etc/hosts": (0, 0, 0o120777)})
    assert guestfish.parse_read(text, "@@m").files == {}


def test_a_file_comes_back_byte_for_byte_or_not_at_all():
    """pread gives the file's bytes: a missing last newline, a carriage return or a NUL byte
    come back as they are; a file longer than MAX_READ, or whose bytes do not add up to its
    size, is known to exist but has no text (the guest goes to virt-sysprep)."""
    for body in ("127.0.0.1 localhost", "a\r\nb\n", "a\0b\n\n", "", "\n", "x\udcff\n"):
        text = read_output("@@m", {"/etc/hosts": body})
        assert guestfish.parse_read(text, "@@m").files == {"/etc/hosts": body}, repr(body)
    big = "x" * 80 + "\n"
    text = read_output("@@m", {"/etc/hosts": big * (guestfish.MAX_READ // 81 + 1)})
    assert guestfish.parse_read(text, "@@m").files == {"/etc/hosts": None}
    text = read_output("@@m", {"/etc/shadow": "root:*:1::::::\n"}).replace("st_size: 15",
                                                                           "st_size: 17")
    assert guestfish.parse_read(text, "@@m").files == {"/etc/shadow": None}


def test_a_guest_file_cannot_pose_as_another_section():
    """The scripts print guests' files between marker lines: a guest that writes marker-like
    lines into a file must not open another section (another disk's root, another file)."""
    mark = guestfish.new_mark()
    assert mark != guestfish.new_mark() and len(mark) > 30
    hostile = ("@@lago stat /etc/shadow\n@@lago- text /etc/shadow\nroot:evil:1::::::\n"
               "@@lago glob /tmp/*\n/tmp/x\n")
    found = guestfish.parse_read(read_output(mark, {"/etc/hosts": hostile}), mark)
    assert found.files == {"/etc/hosts": hostile} and found.trees == []
    out = f"{mark} /dev/sda1\n@@lago /dev/sda2\nUUID=x / ext4 rw 0 1\n{mark} /dev/sda2\n"
    assert guestfish.sections(out, mark) == {
        "/dev/sda1": ["@@lago /dev/sda2", "UUID=x / ext4 rw 0 1"], "/dev/sda2": []}


def test_the_fstab_script_mounts_each_candidate_read_only():
    script = guestfish.fstab_script(["/dev/sdb1", "/dev/sdb2"], "@@m")
    assert '-mount-vfs "ro" ext4 "/dev/sdb2" /' in script and "echo @@m /dev/sdb2" in script
    assert script.count("-umount-all") == 2 and script.count("-is-file /etc/fstab") == 2
    assert not guestfish.simple_fstab("UUID=x / xfs defaults 0 0\nUUID=y /var xfs defaults 0 0\n")
    assert guestfish.simple_fstab("/dev/vda / ext4 rw 0 1\n")
    assert guestfish.simple_fstab("# c\nUUID=a / ext4 x 0 1\nUUID=b none swap sw 0 0\n"
                                  "UUID=c /boot/efi vfat x 0 2\nproc /proc proc defaults 0 0\n")


def test_trees_are_removed_only_where_found_and_only_what_the_pattern_names():
    """`rm -rf` costs a process in the appliance: read_script lists what the tree patterns
    match, and only such paths are removed; a guest's file name with a newline in it, or a
    "..", cannot turn a line of that list into another path."""
    out = "\n".join(["@@m glob /tmp/*", "/tmp/a/", "/tmp/b", "/tmp/..", "/etc", "/tmp/c/d",
                     "@@m glob /home/*/.ssh", "/home/u/.ssh/", "/home/../.ssh", "/home/u/.sshx",
                     "@@m glob /root/.ssh", "/root/.ssh/", "@@m glob /etc/*", "/etc/shadow"])
    assert guestfish.parse_read(out + "\n", "@@m").trees == [
        "/tmp/a", "/tmp/b", "/home/u/.ssh", "/root/.ssh"]
    script = guestfish.read_script("/dev/sda", [], [], "@@m")
    assert '-glob-expand "/var/lib/dhcp/*"' in script


def test_the_configure_script_holds_paths_only_and_quotes_them():
    lines = guestfish.configure_script('/p a/"x".tar', ["/tmp/a b", '/tmp/q"']).splitlines()
    assert lines[-1] == "umount-all" and lines[-2] == 'tar-in "/p a/\\"x\\".tar" /'
    assert "-glob rm-f /etc/ssh/ssh_host_*" in lines  # the template's host keys go
    assert lines.index('-rm-rf "/tmp/a b"') < lines.index('tar-in "/p a/\\"x\\".tar" /')
    assert '-rm-rf "/tmp/q\\""' in lines
    assert not [line for line in lines if line.startswith(("mount", "upload", "download"))]
    assert len([line for line in lines if "rm-rf" in line]) == 2  # only what was found


def make_kit(tmp_path, root_hash="$6$salt$hash/."):
    pub = tmp_path / "id.pub"
    pub.write_text("ssh-ed25519 AAAA lago\n")
    key = tmp_path / "ssh_host_ed25519_key"
    key.write_text("PRIVATE\n")
    (tmp_path / "ssh_host_ed25519_key.pub").write_text("PUBLIC\n")
    return provision.Kit(vm="deb0", hostname="deb0", tmp=str(tmp_path), disk=("d", "qcow2"),
                         pubkey_file=str(pub), ssh_user="root", root_hash=root_hash,
                         uploads=[], host_keys=[str(key)], selinux=False, iqn="iqn.x:deb0",
                         build=[], family="debian")


def test_the_payload_keeps_shadow_s_owner_and_mode_and_names_no_user(tmp_path):
    import tarfile
    kit = make_kit(tmp_path)
    files = {"/etc/fstab": "/dev/vda / ext4 rw 0 1\n", "/etc/shadow": "root:*:1::::::\n",
             "/etc/hosts": "127.0.1.1 debian-template\n", "/etc/machine-id": None}
    found = guestfish.Found(files, {"/etc/shadow": (0, 42, 0o640)}, [])
    assert provision._suits(kit, found)
    tarball = provision._payload(kit, found)
    assert os.stat(tarball).st_mode & 0o777 == 0o600
    with tarfile.open(tarball) as tar:
        members = {m.name: m for m in tar.getmembers()}
        shadow = members["etc/shadow"]
        assert (shadow.uid, shadow.gid, shadow.mode) == (0, 42, 0o640)
        assert tar.extractfile(shadow).read() == b"root:$6$salt$hash/.:1::::::\n"
        assert tar.extractfile("etc/hosts").read() == b"127.0.1.1 deb0\n"
        assert members["etc/machine-id"].size == 0
        assert "var/lib/systemd/random-seed" not in members  # the template has none
        assert members["root/.ssh"].mode == 0o700
        assert members["etc/ssh/ssh_host_ed25519_key"].mode == 0o600
    assert {(m.uname, m.gname) for m in members.values()} == {("", "")}


def test_a_guest_whose_files_were_not_read_goes_to_virt_sysprep(tmp_path):
    kit = make_kit(tmp_path)
    fstab = {"/etc/fstab": "/dev/vda / ext4 rw 0 1\n"}
    owners = {"/etc/shadow": (0, 42, 0o640)}

    def suits(files, owners, kit=kit):
        return provision._suits(kit, guestfish.Found(files, owners, []))
    assert not suits({}, {})  # no root found
    assert not suits({**fstab, "/etc/shadow": "root:*:1::::::\n"}, {})
    assert not suits({**fstab, "/etc/shadow": None}, owners)
    assert not suits({**fstab, "/etc/shadow": "r\n", "/etc/hosts": None}, owners)
    assert not suits({"/etc/fstab": "UUID=y /etc xfs defaults 0 0\n"}, {})
    assert suits({**fstab, "/etc/shadow": "r\n"}, owners)
    assert suits(fstab, {}, kit=make_kit(tmp_path, root_hash=None))  # no shadow needed
def test_shadow_and_hosts_are_edited_on_the_host():
    shadow = "daemon:*:1::::::\nroot:*:19000:0:99999:7:::\nrooty:x:1::::::\n"
    assert guestfs.with_root_hash(shadow, "$6$s$h/.") == \
        "daemon:*:1::::::\nroot:$6$s$h/.:19000:0:99999:7:::\nrooty:x:1::::::\n"
    with pytest.raises(ValueError):
        guestfs.with_root_hash(shadow, "x:y")
    assert guestfs.hosts_naming("127.0.0.1 localhost\n127.0.1.1\tdebian-template\n", "deb0") \
        == "127.0.0.1 localhost\n127.0.1.1\tdeb0\n"
    assert guestfs.hosts_naming("127.0.0.1 localhost\n", "deb0") == "127.0.0.1 localhost\n"
