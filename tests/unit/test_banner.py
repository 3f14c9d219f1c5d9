"""Waiting for a guest's sshd: real sockets on 127.0.0.1, no VM."""
import socket
import threading
import time

import pytest

from lago import ssh


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve(port, greeting, after=0.0, accept_delay=0.0, stop=None):
    """A server on port that starts listening `after` s from now and greets each client."""
    def run():
        time.sleep(after)
        with socket.socket() as srv:
            srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            srv.bind(("127.0.0.1", port))
            srv.listen(64)
            srv.settimeout(0.1)
            while not stop.is_set():
                try:
                    conn, _ = srv.accept()
                except socket.timeout:
                    continue
                with conn:
                    time.sleep(accept_delay)
                    conn.sendall(greeting)
    stop = stop or threading.Event()
    t = threading.Thread(target=run, daemon=True)
    t.start()
    return stop


@pytest.mark.parametrize("greeting, after, accept_delay", [
    (b"SSH-2.0-dropbear\r\n", 0.0, 0.0),      # greets at once
    (b"SSH-2.0-OpenSSH_9.2\r\n", 0.4, 0.0),   # sshd starts later: a later probe sees it
    (b"SSH-2.0-slow\r\n", 0.0, 0.3),          # greets slower than the probe interval
    (b"SSH-2.0-busy\r\n", 0.0, 1.5),          # greets slower than any probe used to wait
], ids=["at-once", "starts-later", "slow-greeting", "busy-guest"])
def test_an_sshd_that_greets_is_seen(greeting, after, accept_delay):
    port = _free_port()
    stop = _serve(port, greeting, after=after, accept_delay=accept_delay)
    try:
        assert ssh.wait_banner("127.0.0.1", time.monotonic() + 10, port) is True
    finally:
        stop.set()


def test_nothing_listening_or_another_protocol_is_false_at_the_deadline():
    assert ssh.wait_banner("127.0.0.1", time.monotonic() + 0.5, _free_port()) is False
    port = _free_port()
    stop = _serve(port, b"HTTP/1.0 200 OK\r\n\r\n")
    try:
        assert ssh.wait_banner("127.0.0.1", time.monotonic() + 0.5, port) is False
    finally:
        stop.set()


def test_a_cancelled_wait_returns_false():
    cancel = threading.Event()
    cancel.set()
    assert ssh.wait_banner("127.0.0.1", time.monotonic() + 30, _free_port(), stop=cancel) is False


def test_probes_are_closed_when_the_wait_ends():
    import os
    before = set(os.listdir("/proc/self/fd"))
    ssh.wait_banner("127.0.0.1", time.monotonic() + 0.3, _free_port())
    assert set(os.listdir("/proc/self/fd")) - before == set()
