#!/usr/bin/env bash
# Install the host packages lago.pyz and its lab need (Debian 12, as root). A no-op in well
# under a second when everything is present.
set -euo pipefail
packages=(libvirt-daemon-system libvirt-clients libvirt-daemon-driver-qemu qemu-system-x86
          qemu-utils libguestfs-tools dnsmasq-base iptables openssh-client dropbear-bin
          busybox-static linux-image-cloud-amd64 debootstrap genisoimage e2tools cpio openssl bc)
missing=()
for p in "${packages[@]}"; do
    status=$(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null || true)
    [ "${status:0:2}" = "ii" ] || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ]; then
    echo "host-deps: missing packages (${missing[*]}); run as root to install them" >&2
    exit 1
fi
echo "host-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >&2
apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
