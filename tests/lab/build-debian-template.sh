#!/usr/bin/env bash
# Build the Debian test template: debootstrap minbase with systemd, openssh-server, dbus,
# systemd-networkd, cloud-init (inactive unless a NoCloud seed is attached) and Debian's cloud
# kernel, on an ext4 image made without mounting (mkfs.ext4 -d), booted by direct kernel boot.
# Trimmed for boot time under TCG, where every process and every console line is slow: a small
# busybox initramfs instead of initramfs-tools' (no udev in it), a quiet kernel, and no units
# the tests do not use (timers, getty on tty1, debug file systems, a persistent journal).
#
#   build-debian-template.sh          prints the template directory (last line of stdout)
#
# The mirror and suite come from the machine's own apt sources (/etc/apt/sources.list.d/), so the
# build reaches only the package registry this machine already uses. The result is cached in
# ${LAGO_LAB_CACHE:-/var/cache/lago-lab}/debian-<hash>, the hash covering this script, the mirror
# and the suite. Output: debian.qcow2, vmlinuz, initrd.img, template.json (all world-readable:
# QEMU runs as libvirt-qemu).
set -euo pipefail
cache=${LAGO_LAB_CACHE:-/var/cache/lago-lab}
say() { echo "debian-template: $*" >&2; }

for tool in debootstrap mkfs.ext4 qemu-img openssl chroot busybox cpio gzip; do
    command -v "$tool" >/dev/null || [ -x "/usr/sbin/$tool" ] ||
        { say "$tool is missing: run tests/lab/host-deps.sh"; exit 1; }
done

# The first Debian (not -security/-updates) source of this machine: deb822 or one-line format.
mirror_and_suite() {
    local f
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] || continue
        awk 'BEGIN{RS=""} /Types:[^\n]*deb/ {
                uri=""; suite="";
                n=split($0, l, "\n");
                for (i=1;i<=n;i++) {
                    if (l[i] ~ /^URIs:/) { split(l[i], a, /[ \t]+/); uri=a[2] }
                    if (l[i] ~ /^Suites:/) { split(l[i], a, /[ \t]+/); suite=a[2] }
                }
                if (uri ~ /debian\/?$/ && suite !~ /-(security|updates|backports)$/) {
                    print uri, suite; exit }
             }' "$f"
    done
    for f in /etc/apt/sources.list.d/*.list /etc/apt/sources.list; do
        [ -f "$f" ] || continue
        awk '$1=="deb" && $2 ~ /debian\/?$/ && $3 !~ /-(security|updates|backports)$/ {
                print $2, $3; exit }' "$f"
    done
}
read -r mirror suite < <(mirror_and_suite | head -n 1) || true
[ -n "${mirror:-}" ] && [ -n "${suite:-}" ] ||
    { say "no Debian mirror found in /etc/apt/sources.list.d/ (or sources.list)"; exit 1; }

hash=$( { cat "$0"; echo "$mirror $suite"; } | sha256sum | cut -c1-16)
out=$cache/debian-$hash
if [ -f "$out/template.json" ]; then
    say "cached: $out"
    echo "$out"
    exit 0
fi

mkdir -p "$cache"
chmod 0755 "$cache"
work=$(mktemp -d "$cache/.build-debian-XXXXXX")
root=$work/root
cleanup() {
    # debootstrap mounts proc/sys in the target; never leave them behind.
    for m in proc sys dev/pts dev; do umount -l "$root/$m" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT
start=$(date +%s.%N)

packages=systemd,systemd-sysv,udev,dbus,openssh-server,iproute2,kmod,procps
say "debootstrap $suite from $mirror"
debootstrap --variant=minbase --include="$packages" "$suite" "$root" "$mirror" >&2
t_boot=$(date +%s.%N)
# The kernel and cloud-init go in with apt: debootstrap's own resolver mis-orders the
# configuration of cloud-init's Python dependencies (python3-cryptography fails).
mount -t proc proc "$root/proc"
printf '#!/bin/sh\nexit 101\n' > "$root/usr/sbin/policy-rc.d"   # start no services in the chroot
chmod 0755 "$root/usr/sbin/policy-rc.d"
chroot "$root" apt-get -q update >&2
DEBIAN_FRONTEND=noninteractive chroot "$root" apt-get -q -y install --no-install-recommends \
    linux-image-cloud-amd64 initramfs-tools cloud-init >&2
rm -f "$root/usr/sbin/policy-rc.d"

# ---- configuration -----------------------------------------------------------------------
password=Debian-Root.7316  # distinctive, so a leak into a log can be found by grep
echo "root:$password" | chroot "$root" chpasswd
printf 'debian-template\n' > "$root/etc/hostname"
printf '127.0.0.1 localhost\n127.0.1.1 debian-template\n' > "$root/etc/hosts"
printf '/dev/vda / ext4 rw,errors=remount-ro 0 1\n' > "$root/etc/fstab"
# Without provisioning every NIC asks DHCP; provisioning adds MAC-matched files that sort first.
cat > "$root/etc/systemd/network/99-lago-dhcp.network" <<'NET'
[Match]
Name=en* eth*

[Network]
DHCP=ipv4
NET
chroot "$root" systemctl enable systemd-networkd.service >&2
chroot "$root" systemctl disable systemd-networkd-wait-online.service >&2 2>/dev/null || true
# virt-sysprep removes the SSH host keys; Debian's sshd unit runs `sshd -t` first and would
# refuse to start without them, so make the keys right before that check.
mkdir -p "$root/etc/systemd/system/ssh.service.d"
cat > "$root/etc/systemd/system/ssh.service.d/lago-hostkeys.conf" <<'UNIT'
[Service]
ExecStartPre=
ExecStartPre=/usr/bin/ssh-keygen -A
UNIT
# Units that only cost boot time here: periodic jobs, a getty on the VGA console (the serial
# one stays), module loads and mounts nothing uses. The journal stays in memory (no flush to
# /var/log/journal at boot).
chroot "$root" systemctl mask apt-daily.timer apt-daily-upgrade.timer dpkg-db-backup.timer \
    e2scrub_all.timer e2scrub_reap.service fstrim.timer getty@tty1.service \
    systemd-binfmt.service proc-sys-fs-binfmt_misc.automount sys-kernel-debug.mount \
    sys-kernel-tracing.mount dev-hugepages.mount systemd-pstore.service \
    modprobe@drm.service modprobe@dm_mod.service modprobe@efi_pstore.service \
    modprobe@fuse.service modprobe@loop.service >&2
chroot "$root" systemctl set-default multi-user.target >&2
mkdir -p "$root/etc/systemd/journald.conf.d"
printf '[Journal]\nStorage=volatile\n' > "$root/etc/systemd/journald.conf.d/lago-volatile.conf"
rm -rf "$root/var/log/journal"
# cloud-init only acts when a NoCloud seed (label cidata) is attached; otherwise ds-identify
# turns it off for the boot, so sysprep'd and as-is guests are left alone. Two entries on
# purpose: with a single one (even followed by None) ds-identify enables it without looking.
cat > "$root/etc/cloud/cloud.cfg.d/90-lago.cfg" <<'CFG'
datasource_list: [NoCloud, ConfigDrive]
CFG
chroot "$root" apt-get clean >&2
rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin
# debootstrap leaves its mounts; unmount before copying the tree into the image.
for m in proc sys dev/pts; do umount -l "$root/$m" 2>/dev/null || true; done

kernel=$(ls "$root"/boot/vmlinuz-* | sort -V | tail -n 1)
cp "$kernel" "$work/vmlinuz"

# ---- initramfs -----------------------------------------------------------------------------
# busybox, the drivers of the root disk and of the IDE cdrom a NoCloud seed comes on, and an
# init that mounts root and switches to it. ext4 is built into the cloud kernel. The cdrom's
# drivers are loaded here because cloud-init's generator looks for the seed's label before
# udev runs in the real root; insmod returns once the module's asynchronous probing is done.
kver=${kernel##*/vmlinuz-}
moddir=$root/lib/modules/$kver
initrd=$work/initrd
mkdir -p "$initrd"/{bin,dev,proc,sys,newroot,lib/modules}
cp "$(command -v busybox)" "$initrd/bin/busybox"
resolve() {   # a module and its dependencies from modules.dep, in load order
    local name=$1 line dep
    line=$(grep -E "/(${name}|${name//_/-})\.ko(\.xz|\.zst)?:" "$moddir/modules.dep" | head -n 1 || true)
    [ -n "$line" ] || return 0   # built in
    for dep in ${line#*:}; do resolve "$(basename "${dep%%.ko*}")"; done
    grep -qxF "${line%%:*}" "$work/order" 2>/dev/null || echo "${line%%:*}" >> "$work/order"
}
: > "$work/order"
for m in virtio_pci virtio_blk ata_piix sr_mod; do resolve "$m"; done
while read -r path; do
    cp "$moddir/$path" "$initrd/lib/modules/"
    basename "$path" >> "$initrd/lib/modules/order"
done < "$work/order"
cat > "$initrd/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
while read -r mod; do insmod "/lib/modules/$mod"; done < /lib/modules/order
root=/dev/vda
for arg in $(cat /proc/cmdline); do
    case "$arg" in root=*) root=${arg#root=} ;; esac
done
n=0
while [ ! -b "$root" ] && [ $n -lt 200 ]; do sleep 0.05; n=$((n + 1)); done
if ! mount -t ext4 -o rw "$root" /newroot; then
    echo "initramfs: cannot mount $root" > /dev/console
    exec sh
fi
umount /proc /sys
mount --move /dev /newroot/dev
exec switch_root /newroot /sbin/init
INIT
chmod 0755 "$initrd/init"
(cd "$initrd" && find . | LC_ALL=C sort | cpio --quiet -o -H newc -R 0:0 | gzip -9n) > "$work/initrd.img"

raw=$work/debian.raw
mkfs.ext4 -q -F -L debroot -E root_owner=0:0 -d "$root" "$raw" 3G >&2
qemu-img convert -q -f raw -O qcow2 "$raw" "$work/debian.qcow2"
rm -f "$raw"

cat > "$work/template.json" <<JSON
{
  "distro": "debian",
  "root-password": "$password",
  "ssh-user": "root",
  "kernel": "vmlinuz",
  "initrd": "initrd.img",
  "cmdline": "root=/dev/vda rw console=ttyS0 net.ifnames=0 quiet",
  "suite": "$suite",
  "mirror": "$mirror"
}
JSON
chmod 0644 "$work"/debian.qcow2 "$work"/vmlinuz "$work"/initrd.img "$work"/template.json
mkdir -p "$out.tmp"
mv "$work"/debian.qcow2 "$work"/vmlinuz "$work"/initrd.img "$work"/template.json "$out.tmp/"
chmod 0755 "$out.tmp"
rm -rf "$out"
mv "$out.tmp" "$out"
end=$(date +%s.%N)
say "built $out in $(echo "$end - $start" | bc) s (debootstrap $(echo "$t_boot - $start" | bc) s)"
echo "$out"
