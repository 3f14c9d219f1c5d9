#!/usr/bin/env bash
# The private lab: a network namespace with its own virtlogd + libvirtd, so every guest network
# (bridges, dnsmasq, 192.168.x.x) lives inside it. libvirtd runs in a private mount namespace
# where /dev/kvm is masked (a half-working KVM makes libvirt re-probe QEMU endlessly). QEMU
# keeps running as libvirt's unprivileged user: the mask works only because that user cannot
# open the mode-000 node (root could, and libvirt would then re-probe on every domain start),
# so disk images must live under directories that user can traverse.
#
#   lab.sh start NAME            create the namespace, start the daemons, wait until virsh answers
#   lab.sh stop NAME             remove lago's domains/networks, stop the daemons by PID, delete NS
#   lab.sh run NAME -- CMD...    start, run CMD inside the namespace, stop (also on failure/signal)
#   lab.sh exec NAME -- CMD...   run CMD inside an already started lab
#
# Exit 3 from start: a libvirtd that the lab did not start already answers on this host. The
# lab never starts a second one; callers may use the running daemon as it is.
set -euo pipefail
URI=qemu:///system
RUN_BASE=/run/lago-lab
say() { echo "lab: $*" >&2; }

libvirt_answers() { timeout 5 virsh -c "$URI" version >/dev/null 2>&1; }

alive() { [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null; }

stop_pid() {  # stop_pid PIDFILE: TERM, wait up to 10 s, then KILL. Only PIDs we recorded.
    local file=$1 pid i
    [ -f "$file" ] || return 0
    pid=$(cat "$file")
    if alive "$pid"; then
        kill "$pid" 2>/dev/null || true
        for i in $(seq 100); do alive "$pid" || break; sleep 0.1; done
        if alive "$pid"; then kill -9 "$pid" 2>/dev/null || true; fi
    fi
    rm -f "$file"
}

start() {
    local ns=$1 dir=$RUN_BASE/$1 t0 i
    t0=$(date +%s.%N)
    if [ -f "$dir/libvirtd.pid" ] && alive "$(cat "$dir/libvirtd.pid")"; then
        say "lab $ns already running"; return 0
    fi
    if libvirt_answers; then
        say "a libvirtd not started by the lab already answers on $URI; using it as it is"
        return 3
    fi
    mkdir -p "$dir"
    ip netns add "$ns"
    ip -n "$ns" link set lo up
    # A device node nobody may open, bound over /dev/kvm inside libvirtd's mount namespace.
    mknod "$dir/kvm-mask" c 1 3
    chmod 000 "$dir/kvm-mask"
    rm -f /var/cache/libvirt/qemu/capabilities/*.xml
    ip netns exec "$ns" unshare -m --propagation private sh -c '
        mount --bind "$1/kvm-mask" /dev/kvm 2>/dev/null || true
        exec virtlogd' sh "$dir" >>"$dir/virtlogd.log" 2>&1 &
    echo $! > "$dir/virtlogd.pid"
    ip netns exec "$ns" unshare -m --propagation private sh -c '
        if [ -e /dev/kvm ]; then mount --bind "$1/kvm-mask" /dev/kvm; fi
        exec libvirtd' sh "$dir" >>"$dir/libvirtd.log" 2>&1 &
    echo $! > "$dir/libvirtd.pid"
    for i in $(seq 600); do
        libvirt_answers && break
        alive "$(cat "$dir/libvirtd.pid")" || { say "libvirtd exited: $(tail -n 5 "$dir/libvirtd.log")"; stop "$ns"; return 1; }
        sleep 0.1
    done
    libvirt_answers || { say "libvirtd did not answer within 60 s"; stop "$ns"; return 1; }
    say "lab $ns up in $(echo "$(date +%s.%N) - $t0" | bc) s (libvirtd pid $(cat "$dir/libvirtd.pid"))"
}

stop() {
    local ns=$1 dir=$RUN_BASE/$1 name
    if [ -f "$dir/libvirtd.pid" ] && alive "$(cat "$dir/libvirtd.pid")" && libvirt_answers; then
        for name in $(virsh -q -c "$URI" list --all --name 2>/dev/null | grep '^lago' || true); do
            virsh -q -c "$URI" destroy "$name" >/dev/null 2>&1 || true
            virsh -q -c "$URI" undefine "$name" --snapshots-metadata --managed-save --nvram >/dev/null 2>&1 ||
                virsh -q -c "$URI" undefine "$name" >/dev/null 2>&1 || true
        done
        for name in $(virsh -q -c "$URI" net-list --all --name 2>/dev/null | grep '^lago' || true); do
            virsh -q -c "$URI" net-destroy "$name" >/dev/null 2>&1 || true
            virsh -q -c "$URI" net-undefine "$name" >/dev/null 2>&1 || true
        done
    fi
    stop_pid "$dir/libvirtd.pid"
    stop_pid "$dir/virtlogd.pid"
    if ip netns list 2>/dev/null | grep -qw "^$ns"; then ip netns delete "$ns"; fi
    rm -rf "$dir"
}

in_ns() {
    local ns=$1; shift
    ip netns exec "$ns" env LAGO_LAB_NETNS="$ns" "$@"
}

cmd=${1:-}; ns=${2:-}
[ -n "$cmd" ] && [ -n "$ns" ] || { sed -n '2,14p' "$0" >&2; exit 2; }
shift 2
[ "${1:-}" = "--" ] && shift
case "$cmd" in
start) start "$ns" ;;
stop) stop "$ns" ;;
exec) in_ns "$ns" "$@" ;;
run)
    # One lab at a time on a host (one libvirtd socket): concurrent runs queue on a lock that
    # only the flock process holds (-o), so daemons started by the lab never inherit it.
    if [ -z "${LAGO_LAB_LOCKED:-}" ]; then
        exec env LAGO_LAB_LOCKED=1 flock -o -w 3600 /run/lago-lab.lock bash "$0" run "$ns" -- "$@"
    fi
    trap 'stop "$ns"' EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    start "$ns"
    rc=0
    in_ns "$ns" "$@" || rc=$?
    exit "$rc"
    ;;
*) say "unknown command $cmd"; exit 2 ;;
esac
