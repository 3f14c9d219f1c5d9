#!/usr/bin/env bash
# Build the tiny test template: busybox + dropbear on ext4 (made without mounting), Debian's
# cloud kernel and a small initramfs that loads the virtio modules and switches root.
#
#   build-tiny-template.sh            prints the template directory (last line of stdout)
#
# The result is cached in ${LAGO_LAB_CACHE:-/var/cache/lago-lab}/tiny-<hash>, the hash covering
# this script, the guest files in tiny/ and the kernel/busybox/dropbear versions.
# Output: tiny.qcow2, vmlinuz, initrd.img, template.json.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cache=${LAGO_LAB_CACHE:-/var/cache/lago-lab}
say() { echo "tiny-template: $*" >&2; }

kernel=$(ls /boot/vmlinuz-*-cloud-amd64 2>/dev/null | sort -V | tail -n 1)
[ -n "$kernel" ] || { say "no /boot/vmlinuz-*-cloud-amd64: install linux-image-cloud-amd64"; exit 1; }
kver=${kernel#/boot/vmlinuz-}
moddir=/lib/modules/$kver
for tool in busybox dropbear mkfs.ext4 qemu-img cpio gzip openssl; do
    command -v "$tool" >/dev/null || [ -x "/usr/sbin/$tool" ] ||
        { say "$tool is missing: run tests/lab/host-deps.sh"; exit 1; }
done
busybox=/bin/busybox
dropbear=/usr/sbin/dropbear

hash=$( { cat "$0" "$here"/tiny/*; echo "$kver";
          dpkg-query -W -f='${Version}\n' busybox-static dropbear-bin 2>/dev/null || true; } |
        sha256sum | cut -c1-16)
out=$cache/tiny-$hash
if [ -f "$out/template.json" ]; then
    say "cached: $out"
    echo "$out"
    exit 0
fi

mkdir -p "$cache"
work=$(mktemp -d "$cache/.build-XXXXXX")
trap 'rm -rf "$work"' EXIT
start=$(date +%s.%N)

# ---- root file system ------------------------------------------------------------------
root=$work/root
mkdir -p "$root"/{bin,sbin,etc/dropbear,etc/init.d,proc,sys,dev,run,tmp,root/.ssh,var/log,usr/bin,usr/sbin,usr/share/udhcpc,lib64,mnt}
chmod 0700 "$root/root" "$root/root/.ssh"
chmod 1777 "$root/tmp"
cp "$busybox" "$root/bin/busybox"
for applet in $("$busybox" --list); do
    [ -e "$root/bin/$applet" ] || ln -s busybox "$root/bin/$applet"
done
for applet in init poweroff reboot halt getty; do ln -sf ../bin/busybox "$root/sbin/$applet"; done
cp "$dropbear" "$root/usr/sbin/dropbear"
# dropbear's shared libraries, at the paths the dynamic loader expects.
ldd "$dropbear" | awk '/=> \//{print $3} /^\s*\/lib/{print $1}' | while read -r lib; do
    mkdir -p "$root$(dirname "$lib")"
    cp -L "$lib" "$root$lib"
done
install -m 0755 "$here/tiny/rcS" "$root/etc/init.d/rcS"
install -m 0755 "$here/tiny/rcK" "$root/etc/init.d/rcK"
mkdir -p "$root/etc/shutdown.d"
install -m 0755 "$here/tiny/udhcpc.script" "$root/usr/share/udhcpc/default.script"
install -m 0644 "$here/tiny/inittab" "$root/etc/inittab"
install -m 0644 "$here/tiny/acpid.conf" "$root/etc/acpid.conf"
password=Tiny-Root.4821  # distinctive, so a leak into a log can be found by grep
hash_pw=$(openssl passwd -6 "$password")
cat > "$root/etc/passwd" <<PW
root:x:0:0:root:/root:/bin/sh
sshd:x:74:74:sshd:/var/empty:/bin/false
PW
printf 'root:%s:19000:0:99999:7:::\nsshd:!:19000::::::\n' "$hash_pw" > "$root/etc/shadow"
chmod 0600 "$root/etc/shadow"
printf 'root:x:0:\nsshd:x:74:\n' > "$root/etc/group"
printf '/bin/sh\n/bin/ash\n' > "$root/etc/shells"
printf 'tiny\n' > "$root/etc/hostname"
printf '127.0.0.1 localhost\n' > "$root/etc/hosts"
printf '/dev/vda / ext4 rw 0 1\n' > "$root/etc/fstab"
printf 'ID=lago-tiny\nNAME="lago tiny"\nPRETTY_NAME="lago tiny test image"\nVERSION_ID=1\n' \
    > "$root/etc/os-release"
printf 'export PATH=/bin:/sbin:/usr/bin:/usr/sbin\n' > "$root/etc/profile"

raw=$work/tiny.raw
mkfs.ext4 -q -F -L tinyroot -E root_owner=0:0 -d "$root" "$raw" 64M >&2
qemu-img convert -q -f raw -O qcow2 "$raw" "$work/tiny.qcow2"

# ---- initramfs -----------------------------------------------------------------------
initrd=$work/initrd
mkdir -p "$initrd"/{bin,dev,proc,sys,newroot,lib/modules}
cp "$busybox" "$initrd/bin/busybox"
install -m 0755 "$here/tiny/init" "$initrd/init"
# Resolve the wanted modules and their dependencies from modules.dep, in load order.
resolve() {
    local name=$1 path deps
    path=$(grep -E "/(${name}|${name//_/-})\.ko(\.xz|\.zst)?:" "$moddir/modules.dep" | head -n 1 || true)
    [ -n "$path" ] || return 0   # built into the kernel
    deps=${path#*:}
    path=${path%%:*}
    for dep in $deps; do resolve "$(basename "${dep%%.ko*}")"; done
    grep -qxF "$path" "$work/order" 2>/dev/null || echo "$path" >> "$work/order"
}
: > "$work/order"
for m in virtio_pci virtio_blk virtio_net virtio_scsi sd_mod virtio_rng virtio_console evdev button; do
    resolve "$m"
done
while read -r path; do
    cp "$moddir/$path" "$initrd/lib/modules/"
    echo "$(basename "$path")" >> "$initrd/lib/modules/order"
done < "$work/order"
(cd "$initrd" && find . | LC_ALL=C sort | cpio --quiet -o -H newc -R 0:0 | gzip -9n) > "$work/initrd.img"

cp "$kernel" "$work/vmlinuz"
cat > "$work/template.json" <<JSON
{
  "distro": "tiny",
  "root-password": "$password",
  "ssh-user": "root",
  "kernel": "vmlinuz",
  "initrd": "initrd.img",
  "cmdline": "root=/dev/vda rw console=ttyS0 quiet"
}
JSON
chmod 0644 "$work"/tiny.qcow2 "$work"/vmlinuz "$work"/initrd.img "$work"/template.json
mkdir -p "$out.tmp"
mv "$work"/tiny.qcow2 "$work"/vmlinuz "$work"/initrd.img "$work"/template.json "$out.tmp/"
chmod 0755 "$out.tmp"
rm -rf "$out"
mv "$out.tmp" "$out"
say "built $out in $(echo "$(date +%s.%N) - $start" | bc 2>/dev/null || echo '?') s"
echo "$out"
