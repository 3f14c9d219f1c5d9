"""OpenSSH client: key generation, argv builders (pure), readiness probes, first-contact login.

Every connection uses the prefix's own key and known_hosts file; host keys are learned on first
contact (accept-new) and checked afterwards. No global host-key checking is disabled.
"""
from __future__ import annotations

import os
import shlex
import time
from typing import TYPE_CHECKING, List, NamedTuple, Optional, Sequence

from . import runner, safe
from .errors import ExternalError, UsageError
from .log import logger

if TYPE_CHECKING:
    import threading

LOG = logger("lago")


class Target(NamedTuple):
    host: str
    user: str
    key: str
    known_hosts: str
    port: int = 22
    # Where the ControlMaster socket lives (the prefix's ssh/ dir); None: no connection reuse.
    # ssh must run with this as its working directory: see control_options().
    control_dir: Optional[str] = None


CONTROL_PERSIST = 60
# The master's socket name: a hash of local host, remote host, port and user (40 hex digits).
CONTROL_NAME = "%C"


def control_options(t: Target) -> List[str]:
    """Connection reuse: the first ssh becomes a master the next ones ride on.

    The socket path is relative (``%C``, a hash of user, host and port) and ssh runs inside
    ``control_dir``: an absolute path under a deep prefix would pass the 108-byte limit of a
    unix socket address (ssh adds a 17-byte suffix while it creates the socket).
    """
    if not t.control_dir:
        return []
    return ["-o", "ControlMaster=auto", "-o", f"ControlPath={CONTROL_NAME}",
            "-o", f"ControlPersist={CONTROL_PERSIST}"]


def keygen_argv(path: str, comment: str) -> List[str]:
    # Ed25519: made in milliseconds (RSA-3072 takes up to a second) and accepted by every
    # OpenSSH since 6.5 and dropbear since 2020.79. The file keeps the name id_rsa (SPEC §9).
    return ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", path]


def keygen(path: str, comment: str) -> None:
    runner.run(keygen_argv(path, comment), timeout=60)


# What `ssh-keygen -A` makes in a guest, less the long-gone DSA.
HOST_KEY_TYPES = ("ed25519", "ecdsa", "rsa")


def host_keys(directory: str, comment: str) -> List[str]:
    """Fresh SSH host key pairs for a guest, made here (natively: in a TCG guest or appliance
    the RSA key alone takes seconds): ``directory/ssh_host_TYPE_key`` and its ``.pub``;
    returns the private keys' paths."""
    paths = []
    for kind in HOST_KEY_TYPES:
        path = os.path.join(directory, f"ssh_host_{kind}_key")
        runner.run(["ssh-keygen", "-q", "-t", kind, "-N", "", "-C", comment, "-f", path],
                   timeout=60)
        paths.append(path)
    return paths


def public_key_argv(path: str) -> List[str]:
    # -P '': a key that needs a passphrase fails here, not at the first login (lago runs
    # ssh in batch mode and could not type it).
    return ["ssh-keygen", "-y", "-P", "", "-f", path]


def public_key_of(path: str) -> str:
    """The public key of the private key at ``path``; UsageError if it is not a usable key."""
    if not os.path.isfile(path) or not os.access(path, os.R_OK):
        raise UsageError(f"--ssh-key {path}: no readable private key file there",
                         hint="give the private key (its .pub is derived from it)")
    try:
        res = runner.run(public_key_argv(path), timeout=30)
    except runner.CommandFailed as exc:
        raise UsageError(f"--ssh-key {path}: not a private key lago can use without a "
                         f"passphrase ({(exc.stderr.strip().splitlines() or ['?'])[-1]})",
                         hint="use a key without a passphrase") from None
    return res.stdout.strip()


def options(t: Target, batch: bool = True, connect_timeout: int = 10) -> List[str]:
    opts = ["-F", "/dev/null",
            "-o", f"UserKnownHostsFile={t.known_hosts}",
            "-o", "GlobalKnownHostsFile=/dev/null",
            "-o", "StrictHostKeyChecking=accept-new",
            "-o", f"ConnectTimeout={connect_timeout}",
            "-o", "LogLevel=ERROR",
            "-o", "ServerAliveInterval=10",
            "-p", str(t.port)]
    opts += control_options(t)
    if batch:
        opts += ["-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes", "-i", t.key,
                 "-o", "PasswordAuthentication=no", "-o", "KbdInteractiveAuthentication=no"]
    return opts


def destination(t: Target) -> List[str]:
    """``--`` and ``user@host``: after ``--`` ssh reads neither the destination nor the
    command as an option, and a user that is not a plain login name (``-oProxyCommand=...``,
    one with '@' or a blank) is refused here whatever its source."""
    if not t.host or t.host.startswith("-") or safe.control_char(t.host) or " " in t.host:
        raise UsageError(f"{t.host!r} is not a host address")
    try:
        return ["--", f"{safe.user(t.user)}@{t.host}"]
    except ValueError as exc:
        raise UsageError(f"ssh-user: {exc}") from None


def command_argv(t: Target, command: Optional[Sequence[str]] = None, tty: bool = False) -> List[str]:
    """ssh argv running ``command`` (an argv, quoted so the remote shell sees the same words)."""
    argv = ["ssh", *options(t)]
    if tty:
        argv.append("-t")
    argv += destination(t)
    if command:
        argv.append(shlex.join(command))
    return argv


def run(t: Target, command: Sequence[str], input: Optional[str] = None,
        timeout: Optional[float] = None) -> runner.Result:
    """Run a command in the guest; any exit code is returned, not raised."""
    return runner.run(command_argv(t, command), input=input, timeout=timeout,
                      ok_codes=range(256), cwd=t.control_dir)


def run_binary(t: Target, command: Sequence[str], stdin_path: Optional[str] = None,
               stdout_path: Optional[str] = None,
               timeout: Optional[float] = None) -> runner.Result:
    """Run a command in the guest with files as its stdin/stdout (tar streams); any exit code
    is returned, not raised."""
    return runner.run_files(command_argv(t, command), stdin_path=stdin_path,
                            stdout_path=stdout_path, timeout=timeout, ok_codes=range(256),
                            cwd=t.control_dir)


def script_command(args: Sequence[str] = ()) -> List[str]:
    """Remote argv that runs the script arriving on stdin as a file (so its #! line counts),
    with ``args``, and exits with its code. The script is removed afterwards."""
    body = ('f=$(mktemp) || exit 255; cat > "$f"; chmod 700 "$f"; "$f" "$@" </dev/null; '
            'rc=$?; rm -f "$f"; exit $rc')
    return ["sh", "-c", body, "lago-script", *args]


def control_argv(t: Target, op: str) -> List[str]:
    """``ssh -O check|exit``: ask the master connection for ``t`` (exit 255 if there is none)."""
    return ["ssh", *options(t), "-O", op, *destination(t)]


def close_master(t: Target) -> bool:
    """Ask the master for ``t`` to exit; False if there was none."""
    if not t.control_dir:
        return False
    res = runner.run(control_argv(t, "exit"), timeout=10, ok_codes=range(256), cwd=t.control_dir)
    return res.returncode == 0


def control_check_argv(t: Target) -> List[str]:
    """``ssh -O check``: exit 0 while a master connection for ``t`` is up."""
    return control_argv(t, "check")


# How long one probe waits for the TCP handshake, and how long between probes. A guest that
# has no address yet drops the SYN (or never answers ARP): a probe that waited seconds for it
# would notice a guest that came up meanwhile only at its end, so probes are short and often
# (each is one SYN on a local bridge). Measured under TCG: sshd is seen ~0.3 s sooner than
# with 1 s probes every 0.1 s. Probes are one at a time: several left waiting would all
# connect at once when the guest comes up, and dropbear closes the next connection (the
# login) while it counts that many unauthenticated clients from one address. After
# PROBE_SHORT_FOR seconds the probes get the patience of a guest too busy to answer quickly.
# Once connected, sshd is listening: the greeting is waited for patiently (up to
# PROBE_GREETING s, never past the deadline). An emulated guest on a busy host can take
# seconds to send it (OpenSSH re-executes itself for every connection), and a probe that gave
# up sooner would give up on every attempt (seen: 4 Debian guests on 2 cores, none ever "up").
PROBE_CONNECT = 0.2
PROBE_INTERVAL = 0.05
PROBE_SHORT_FOR = 60.0
PROBE_CONNECT_LATE = 1.0
PROBE_GREETING = 20.0


def banner(host: str, port: int = 22, connect_timeout: float = PROBE_CONNECT,
           timeout: float = 1.0) -> bool:
    """True once something on host:port speaks SSH (cheaper than a full ssh login attempt)."""
    import socket  # here: `lago.pyz ssh` (argv builders only) starts without it
    try:
        with socket.create_connection((host, port), timeout=connect_timeout) as sock:
            sock.settimeout(timeout)
            return sock.recv(64).startswith(b"SSH-")
    except OSError:
        return False


def wait_banner(host: str, deadline: float, port: int = 22,
                stop: Optional[threading.Event] = None) -> bool:
    """Poll until host:port speaks SSH; False at the deadline or once ``stop`` is set."""
    short_until = time.monotonic() + PROBE_SHORT_FOR
    while True:
        late = time.monotonic() > short_until
        greeting = min(PROBE_GREETING, max(deadline - time.monotonic(), 0.5))
        if banner(host, port, PROBE_CONNECT_LATE if late else PROBE_CONNECT, greeting):
            return True
        if time.monotonic() + PROBE_INTERVAL > deadline or (stop is not None and stop.is_set()):
            return False
        time.sleep(PROBE_INTERVAL)


def key_works(t: Target, timeout: float = 30) -> bool:
    try:
        res = runner.run(command_argv(t, ["true"]), timeout=timeout, ok_codes=range(256),
                         cwd=t.control_dir)
    except runner.CommandFailed:
        return False
    return res.returncode == 0


def install_key(t: Target, password: str, pubkey: str, timeout: float = 60) -> None:
    """Log in once with the password (typed on a pty: OpenSSH reads passwords only from a
    terminal) and append the env's public key to the user's authorized_keys."""
    key = shlex.quote(pubkey.strip())
    # Idempotent: a VM met again (password still set) does not collect copies of the key.
    script = (f"umask 077; mkdir -p ~/.ssh && {{ grep -qxF {key} ~/.ssh/authorized_keys "
              f"2>/dev/null || printf '%s\\n' {key} >> ~/.ssh/authorized_keys; }} && "
              "echo lago-key-installed")
    argv = ["ssh", *options(t, batch=False),
            "-o", "PubkeyAuthentication=no", "-o", "NumberOfPasswordPrompts=1",
            "-o", "PreferredAuthentications=password,keyboard-interactive",
            *destination(t), script]
    from . import vendored  # here: `lago.pyz ssh` needs no pty library
    eof = vendored.pexpect().EOF
    child = runner.spawn_pty(argv, timeout=timeout)
    try:
        idx = child.expect([r"(?i)password[^:]*:", "lago-key-installed", eof])
        if idx == 0:
            child.sendline(password)
            idx = child.expect([r"(?i)password[^:]*:", "lago-key-installed", eof])
            if idx == 0:
                raise ExternalError(f"{t.user}@{t.host} refused the ssh password",
                                    hint="check ssh-password (or root-password) in the env file")
        if idx != 1:
            raise ExternalError(f"could not log in to {t.user}@{t.host} with a password: "
                                f"{(child.before or '').strip()[-200:]}")
        child.expect(eof)
        child.wait()
    finally:
        child.close(force=True)
