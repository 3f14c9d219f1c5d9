#!/usr/bin/env bash
# The private lab: a network namespace with its own virtlogd + libvirtd, so every guest network
# (bridges, dnsmasq, 192.168.x.x) lives inside it. Each lab also has a mount namespace of its
# own (kept in /run/lago-lab/NAME/mnt) in which libvirt's host-wide directories (/run/libvirt,
# /etc/libvirt, /var/lib/libvirt, /var/log/libvirt, /var/cache/libvirt) are private copies:
# its sockets, domain and network definitions, dnsmasq files and QEMU runtime files are its
# own, so several labs run side by side without seeing each other. The daemons run in a
# further mount namespace where /dev/kvm is masked (a half-working KVM makes libvirt re-probe
# QEMU endlessly). QEMU keeps running as libvirt's unprivileged user: the mask works only
# because that user cannot open the mode-000 node (root could, and libvirt would then re-probe
# on every domain start), so disk images must live under directories that user can traverse.
#
#   lab.sh start NAME            create the namespaces, start the daemons, wait until virsh answers
#   lab.sh stop NAME             destroy the lab's domains/networks, stop what it started, remove it
#   lab.sh run NAME -- CMD...    start, run CMD inside the lab, stop (also on failure/signal)
#   lab.sh exec NAME -- CMD...   run CMD inside an already started lab
#
# run holds /run/lago-lab.lock while the lab exists: exclusively by default (make bench, one-off
# runs), shared with LAGO_LAB_SHARED=1 (the shards of make test, which run side by side).
# Exit 3 from start: a libvirtd that the lab did not start already answers on this host. The
# lab never starts a second one; callers may use the running daemon as it is.
set -euo pipefail
URI=qemu:///system
RUN_BASE=/run/lago-lab
LOCK=/run/lago-lab.lock
# The host directories each lab gets a private copy of (in its mount namespace).
PRIVATE=(/run/libvirt /etc/libvirt /var/lib/libvirt /var/log/libvirt /var/cache/libvirt)
say() { echo "lab: $*" >&2; }

host_libvirt_answers() { timeout 5 virsh -c "$URI" version >/dev/null 2>&1; }

alive() { [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null; }

# in_mnt NAME CMD...: CMD in the lab's mount namespace (its libvirt socket), same directory.
in_mnt() { local dir=$RUN_BASE/$1; shift; nsenter --mount="$dir/mnt" --wd="$PWD" "$@"; }

lab_virsh() { in_mnt "$1" timeout 30 virsh -q -c "$URI" "${@:2}"; }

lab_answers() { in_mnt "$1" timeout 5 virsh -c "$URI" version >/dev/null 2>&1; }

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

private_copy() {  # private_copy SRC DEST: DEST as SRC's tree (directories only, except /etc).
    local src=$1 dest=$2
    mkdir -p "$src"
    if [ "$src" = /etc/libvirt ]; then
        # The configuration, without any domain or network definition except the stock
        # 'default' network: a lab starts with no guests.
        cp -a "$src" "$dest"
        find "$dest/qemu" -maxdepth 1 -name '*.xml' -delete 2>/dev/null || true
        rm -rf "$dest/qemu/autostart"
        find "$dest/qemu/networks" -name '*.xml' ! -name default.xml -delete 2>/dev/null || true
        return
    fi
    # Directories with their owners and modes (QEMU's user must traverse them), no files.
    mkdir -p "$dest"
    # A running domain's runtime directory (qemu/domain-N-NAME) belongs to another daemon.
    (cd "$src" && find . -type d ! -path '*/domain-*' -print0 | tar --null --no-recursion -T - -cf -) |
        tar -xpf - -C "$dest"
}

make_mntns() {  # make_mntns NAME: the lab's mount namespace, bound to $dir/mnt.
    local dir=$RUN_BASE/$1 path i=0
    # The namespace file can only be bound onto a mount that does not propagate.
    mount --bind "$dir" "$dir"
    mount --make-private "$dir"
    for path in "${PRIVATE[@]}"; do
        private_copy "$path" "$dir/private/$i"
        i=$((i + 1))
    done
    touch "$dir/mnt"
    # slave: netns files added or removed on the host still show up inside; nothing made
    # inside leaks out. Other labs' directories are dropped from the copy so this namespace
    # does not keep theirs alive.
    unshare --mount="$dir/mnt" --propagation slave bash -c '
        set -e; dir=$1 base=$2; shift 2; i=0
        for m in $(findmnt -rn -o TARGET | awk -v b="$base/" -v d="$dir" \
                   "index(\$0, b) == 1 && \$0 != d && index(\$0, d \"/\") != 1" | sort -r); do
            umount -l "$m" 2>/dev/null || true
        done
        for path in "$@"; do mount --bind "$dir/private/$i" "$path"; i=$((i + 1)); done
    ' bash "$dir" "$RUN_BASE" "${PRIVATE[@]}"
}

start() {
    local ns=$1 dir=$RUN_BASE/$1 t0 i
    t0=$(date +%s.%N)
    if [ -f "$dir/libvirtd.pid" ] && alive "$(cat "$dir/libvirtd.pid")"; then
        say "lab $ns already running"; return 0
    fi
    if host_libvirt_answers; then
        say "a libvirtd not started by the lab already answers on $URI; using it as it is"
        return 3
    fi
    mkdir -p "$dir"
    ip netns add "$ns"
    ip -n "$ns" link set lo up
    make_mntns "$ns"
    # A device node nobody may open, bound over /dev/kvm inside the daemons' mount namespace.
    mknod "$dir/kvm-mask" c 1 3
    chmod 000 "$dir/kvm-mask"
    # The daemons keep no lock fd (9): a lab's lock lasts as long as its lab.sh, no longer.
    # Started directly (not through a function), so $! is the daemon itself: every step execs.
    # setsid: a signal to the caller's process group (Ctrl-C) must not stop the daemons before
    # the teardown has destroyed the lab's domains through them.
    nsenter --mount="$dir/mnt" ip netns exec "$ns" setsid unshare -m --propagation private sh -c '
        if [ -e /dev/kvm ]; then mount --bind "$1/kvm-mask" /dev/kvm; fi
        exec virtlogd --pid-file /run/libvirt/lab-virtlogd.pid' sh "$dir" \
        >>"$dir/virtlogd.log" 2>&1 9>&- &
    echo $! > "$dir/virtlogd.pid"
    nsenter --mount="$dir/mnt" ip netns exec "$ns" setsid unshare -m --propagation private sh -c '
        if [ -e /dev/kvm ]; then mount --bind "$1/kvm-mask" /dev/kvm; fi
        exec libvirtd --pid-file /run/libvirt/lab-libvirtd.pid' sh "$dir" \
        >>"$dir/libvirtd.log" 2>&1 9>&- &
    echo $! > "$dir/libvirtd.pid"
    for i in $(seq 600); do
        lab_answers "$ns" && break
        alive "$(cat "$dir/libvirtd.pid")" || { say "libvirtd exited: $(tail -n 5 "$dir/libvirtd.log")"; stop "$ns"; return 1; }
        sleep 0.1
    done
    lab_answers "$ns" || { say "libvirtd did not answer within 60 s"; stop "$ns"; return 1; }
    say "lab $ns up in $(echo "$(date +%s.%N) - $t0" | bc) s (libvirtd pid $(cat "$dir/libvirtd.pid"))"
}

stop() {
    local ns=$1 dir=$RUN_BASE/$1 name pids i
    # Everything in the private libvirtd is the lab's own: its domains and networks go first,
    # so QEMU and dnsmasq end cleanly.
    if [ -f "$dir/libvirtd.pid" ] && alive "$(cat "$dir/libvirtd.pid")" && lab_answers "$ns"; then
        for name in $(lab_virsh "$ns" list --all --name 2>/dev/null || true); do
            lab_virsh "$ns" destroy "$name" >/dev/null 2>&1 || true
            lab_virsh "$ns" undefine "$name" --snapshots-metadata --managed-save --nvram >/dev/null 2>&1 ||
                lab_virsh "$ns" undefine "$name" >/dev/null 2>&1 || true
        done
        for name in $(lab_virsh "$ns" net-list --all --name 2>/dev/null || true); do
            lab_virsh "$ns" net-destroy "$name" >/dev/null 2>&1 || true
            lab_virsh "$ns" net-undefine "$name" >/dev/null 2>&1 || true
        done
    fi
    stop_pid "$dir/libvirtd.pid"
    stop_pid "$dir/virtlogd.pid"
    if ip netns list 2>/dev/null | grep -qw "^$ns"; then
        # Whatever still runs in the lab's network namespace was started in the lab (a QEMU
        # or dnsmasq a dead libvirtd left, a test's leftover): TERM, then KILL after 10 s.
        pids=$(ip netns pids "$ns" 2>/dev/null || true)
        if [ -n "$pids" ]; then
            say "stopping what still runs in $ns: $(echo $pids)"
            kill $pids 2>/dev/null || true
            for i in $(seq 100); do
                pids=$(ip netns pids "$ns" 2>/dev/null || true)
                [ -z "$pids" ] && break
                sleep 0.1
            done
            [ -z "$pids" ] || kill -9 $pids 2>/dev/null || true
        fi
    fi
    if [ -e "$dir/mnt" ]; then umount "$dir/mnt" 2>/dev/null || true; fi
    if ip netns list 2>/dev/null | grep -qw "^$ns"; then ip netns delete "$ns"; fi
    if mountpoint -q "$dir" 2>/dev/null; then umount -l "$dir"; fi
    rm -rf "$dir"
}

in_lab() {
    local ns=$1; shift
    [ -e "$RUN_BASE/$ns/mnt" ] || { say "no lab $ns (lab.sh start $ns first)"; return 2; }
    in_mnt "$ns" ip netns exec "$ns" env LAGO_LAB_NETNS="$ns" "$@"
}

cmd=${1:-}; ns=${2:-}
[ -n "$cmd" ] && [ -n "$ns" ] || { sed -n '2,21p' "$0" >&2; exit 2; }
shift 2
[ "${1:-}" = "--" ] && shift
case "$cmd" in
start) start "$ns" ;;
stop) stop "$ns" ;;
exec) in_lab "$ns" "$@" ;;
run)
    # Labs are independent, but make bench must run alone: runs hold the lock (shared or
    # exclusive) on fd 9, which nothing started here inherits.
    exec 9>>"$LOCK"
    if [ -n "${LAGO_LAB_SHARED:-}" ]; then mode=-s; else mode=-x; fi
    flock "$mode" -w 3600 9 || { say "waited an hour for $LOCK"; exit 1; }
    trap 'stop "$ns"' EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    start "$ns"
    rc=0
    in_lab "$ns" "$@" 9>&- || rc=$?
    exit "$rc"
    ;;
*) say "unknown command $cmd"; exit 2 ;;
esac
