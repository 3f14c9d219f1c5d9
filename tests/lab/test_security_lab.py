"""A hostile guest against the host, on real libvirt and ssh: what collect and copy-from bring
back carries no set-user-ID bit, no owner from the guest and no link out of the destination;
the prefix's disks and seed are the owner's alone, and QEMU still opens them."""
import io
import os
import stat
import tarfile

import yaml

from conftest import write_env

# The guest answers lago's ssh commands itself (a forced command for the env's key): the
# tar that `collect` (tar -c ... -C / PATHS) and `copy-from` (tar -c ... -C DIR NAME) ask
# for becomes a crafted stream; anything else runs as asked. (Replacing /bin/tar would not
# do: busybox's shell runs its own tar applet whatever the PATH holds.)
FORCED = """#!/bin/sh
case "$SSH_ORIGINAL_COMMAND" in
  "tar -c -f - -C / "*) exec cat /root/collect.tar ;;
  "tar -c -f - -C /root "*) exec cat /root/copy.tar ;;
esac
exec /bin/sh -c "$SSH_ORIGINAL_COMMAND"
"""


def crafted(path, top, ups):
    """A set-user-ID root file, a file of another user, and the pair `a -> .`, `a/esc -> ..`
    (a link that resolves higher than it reads once `a` exists), all below ``top``; and the
    same pair ``ups`` deep, which on the host would resolve to the parent of DIR."""
    with tarfile.open(path, "w") as tf:
        def add(name, kind, mode=0o755, uid=0, linkname=""):
            info = tarfile.TarInfo(f"{top}/{name}" if name else top)
            info.mode, info.uid, info.gid, info.uname, info.gname = mode, uid, uid, "", ""
            data = b""
            if kind == "dir":
                info.type = tarfile.DIRTYPE
            elif kind == "sym":
                info.type, info.linkname = tarfile.SYMTYPE, linkname
            else:
                data = b"#!/bin/sh\nid\n"
                info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
        add("", "dir")
        add("suid", "file", 0o4755)
        add("theirs", "file", 0o2644, uid=4242)
        add("a", "sym", linkname=".")
        add("a/esc", "sym", linkname="..")
        add("a/" * ups + "out", "sym", linkname="/".join([".."] * ups))


def links_out(root):
    """Symlinks under ``root`` that resolve outside it."""
    root = os.path.realpath(root)
    bad = []
    for top, dirs, files in os.walk(root):
        for name in dirs + files:
            path = os.path.join(top, name)
            real = os.path.realpath(path)
            if os.path.islink(path) and real != root and not real.startswith(root + os.sep):
                bad.append(os.path.relpath(path, root))
    return bad


def check_landed(root):
    """No special bits, no foreign owner, no link out of ``root``; returns the file names."""
    names = []
    for top, dirs, files in os.walk(root):
        for name in dirs + files:
            st = os.lstat(os.path.join(top, name))
            assert not st.st_mode & (stat.S_ISUID | stat.S_ISGID | stat.S_ISVTX), name
            assert st.st_uid == os.geteuid() and st.st_gid == os.getegid(), name
            names.append(name)
    assert links_out(root) == []
    return names


def test_collect_and_copy_from_a_hostile_guest_and_private_disks(lago, template, tmp_path):
    envfile = write_env(tmp_path, template, {"vm0": [{"net": "lan"}], "vm1": [{"net": "lan"}]})
    doc = yaml.safe_load(open(envfile))
    doc["domains"]["vm0"]["artifacts"] = ["/root/loot"]
    doc["domains"]["vm1"]["provision"] = "cloud-init"  # only for its seed ISO
    open(envfile, "w").write(yaml.safe_dump(doc, sort_keys=False))
    lago.run("init", envfile)
    prefix = os.path.join(lago.workdir, "default")
    images = os.path.join(prefix, "images")
    assert stat.S_IMODE(os.stat(images).st_mode) == 0o711
    for name in os.listdir(images):
        assert stat.S_IMODE(os.stat(os.path.join(images, name)).st_mode) == 0o600, name
    for name in ("logs/lago.log", "id_rsa", "env.json"):
        assert stat.S_IMODE(os.stat(os.path.join(prefix, name)).st_mode) == 0o600, name
    lago.run("start", "vm0")
    # QEMU opens a 0600 seed ISO too (vm1 never finishes cloud-init: not waited for).
    lago.run("start", "--no-wait", "vm1")
    lago.run("stop", "vm1")

    # The guest's own files: a set-user-ID root program and a file of uid 4242, sent by
    # the guest's real tar.
    guest_files = ["mkdir /root/loot", "cp /bin/busybox /root/loot/suid",
                   "chmod 4755 /root/loot/suid", "echo x > /root/loot/theirs",
                   "chown 4242:4242 /root/loot/theirs", "chmod 2644 /root/loot/theirs"]
    lago.run("ssh", "vm0", "--", "sh", "-c", " && ".join(guest_files))
    real = tmp_path / "real"
    lago.run("collect", "--output", str(real))
    assert sorted(check_landed(real / "vm0")) == ["loot", "root", "suid", "theirs"]
    assert stat.S_IMODE(os.stat(real / "vm0" / "root" / "loot" / "suid").st_mode) == 0o755

    # Then the guest lies: crafted streams with the link pair.
    crafted(tmp_path / "collect.tar", "root/loot", 4)  # DIR/vm0/root/loot/out -> ../../../..
    crafted(tmp_path / "copy.tar", "loot", 2)  # DIR/loot/out -> ../..
    (tmp_path / "forced").write_text(FORCED)
    for name in ("collect.tar", "copy.tar", "forced"):
        lago.run("copy-to", "vm0", str(tmp_path / name), "/root")
    lago.run("ssh", "vm0", "--", "sh", "-c", "chmod 755 /root/forced && sed -i "
             "'s|^ssh-|command=\"/root/forced\" ssh-|' /root/.ssh/authorized_keys && sync")
    # A new boot: lago's next ssh is a new login, which the forced command then answers.
    lago.run("stop", "vm0")
    lago.run("start", "vm0")

    out = tmp_path / "out"
    lago.run("collect", "--output", str(out))
    landed = check_landed(out)  # DIR itself: nothing links out of it
    assert links_out(out / "vm0") == [] and "suid" in landed
    # The crafted stream did arrive: its harmless `a -> .` is there.
    assert os.readlink(out / "vm0" / "root" / "loot" / "a") == "."
    box = tmp_path / "box"
    box.mkdir()
    lago.run("copy-from", "vm0", "/root/loot", str(box))
    assert "suid" in check_landed(box) and links_out(box / "loot") == []
    assert os.readlink(box / "loot" / "a") == "."
    assert os.listdir(box) == ["loot"]
    lago.run("destroy", "-y")
