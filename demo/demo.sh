#!/usr/bin/env bash
# make demo / make demo-clean: a real two-VM environment in a private lab.
#
# On a host without a running libvirtd (CI, bare machines) the lab is a private network
# namespace with its own libvirtd; the demo env lives inside it until 'make demo-clean'.
# On a host whose libvirtd already runs, that daemon is used as it is and nothing is stopped.
set -euo pipefail
cd "$(dirname "$0")/.."
ns=${DEMO_NS:-lago-demo}
py=${PYTHON:-python3}
lab=tests/lab/lab.sh
mode_file=demo/.lago-mode
# QEMU runs as an unprivileged user and must reach the overlays: a clone under /root (0700)
# would hide them, so the demo's workdir lives under /var/tmp unless told otherwise.
wd=${DEMO_WORKDIR:-/var/tmp/lago-demo/.lago}

in_lab() {
    if [ "$(cat "$mode_file" 2>/dev/null)" = system ]; then "$@"; else bash "$lab" exec "$ns" -- "$@"; fi
}
lago() { in_lab "$py" ./lago.pyz -w "$wd" "$@"; }

case "${1:-up}" in
up)
    : "${TINY:?TINY must name the tiny template directory}"
    export TINY
    mkdir -p "$(dirname "$wd")"
    chmod 0755 "$(dirname "$wd")"
    rc=0; bash "$lab" start "$ns" || rc=$?
    if [ "$rc" = 3 ]; then echo system > "$mode_file"; elif [ "$rc" = 0 ]; then echo lab > "$mode_file"; else exit "$rc"; fi
    lago up demo/env.yaml
    lago status
    echo "--- inside web:"
    lago ssh web -- uname -a
    lago ssh web -- ping -c 1 -W 5 db
    cat <<MSG

The demo env is up. Try:
  $( [ "$(cat "$mode_file")" = lab ] && echo "bash $lab exec $ns -- " )$py ./lago.pyz -w $wd ssh web
Remove it with: make demo-clean
MSG
    ;;
down)
    if [ -d "$wd" ]; then lago destroy -y || true; fi
    if [ "$(cat "$mode_file" 2>/dev/null)" = lab ]; then bash "$lab" stop "$ns"; fi
    rm -rf "$wd" "$mode_file"
    ;;
*) echo "usage: $0 up|down" >&2; exit 2 ;;
esac
