"""ip (iproute2): host network facts, JSON output."""
from __future__ import annotations

import ipaddress
import json
from typing import List, Optional

from . import runner


def routes_argv() -> List[str]:
    return ["ip", "-j", "-4", "route", "show", "table", "all"]


def parse_routed(text: str) -> List[ipaddress.IPv4Network]:
    """Destinations of IPv4 routes (excluding default routes) from ``ip -j route``."""
    out = set()
    for route in json.loads(text or "[]"):
        dst = route.get("dst", "")
        if not dst or dst == "default":
            continue
        try:
            net = ipaddress.IPv4Network(dst if "/" in dst else f"{dst}/32", strict=False)
        except ValueError:
            continue
        if net.is_loopback or net.is_multicast or net.prefixlen == 0:
            continue
        out.add(net)
    return sorted(out)


def routed_subnets() -> List[ipaddress.IPv4Network]:
    return parse_routed(runner.run(routes_argv(), timeout=30).stdout)


def link_names() -> List[str]:
    text = runner.run(["ip", "-j", "link", "show"], timeout=30).stdout
    return [link["ifname"] for link in json.loads(text or "[]")]


def add_bridge_argvs(name: str, address: str, mtu: Optional[int] = None) -> List[List[str]]:
    """The ip commands that make a bridge holding the gateway address, up."""
    link = ["ip", "link", "add", "name", name]
    if mtu:
        link += ["mtu", str(mtu)]  # link options go before 'type'
    link += ["type", "bridge", "stp_state", "0"]
    return [link, ["ip", "addr", "add", address, "dev", name],
            ["ip", "link", "set", "dev", name, "up"]]


def add_bridge(name: str, address: str, mtu: Optional[int] = None) -> None:
    for argv in add_bridge_argvs(name, address, mtu):
        runner.run(argv, timeout=30)


def delete_link(name: str) -> bool:
    """Remove a link; False if it was already gone."""
    res = runner.run(delete_link_argv(name), timeout=30, ok_codes=(0, 1))
    # Exit 1 with "Cannot find device" is expected when a rollback runs twice.
    if res.returncode == 1 and "Cannot find device" not in res.stderr:
        raise runner.CommandFailed(res.argv, res.returncode, res.stdout, res.stderr)
    return res.returncode == 0


def delete_link_argv(name: str) -> List[str]:
    return ["ip", "link", "del", "dev", name]


def bridges_argv() -> List[str]:
    return ["ip", "-j", "link", "show", "type", "bridge"]


def bridge_names() -> List[str]:
    text = runner.run(bridges_argv(), timeout=30).stdout
    return [link["ifname"] for link in json.loads(text or "[]")]


def plain_bridge_argvs(name: str, stp: bool = True) -> List[List[str]]:
    """A bridge without an address, up (upstream's brctl.create)."""
    return [["ip", "link", "add", "name", name, "type", "bridge", "stp_state",
             "1" if stp else "0"], ["ip", "link", "set", "dev", name, "up"]]


def add_plain_bridge(name: str, stp: bool = True) -> None:
    add, up = plain_bridge_argvs(name, stp)
    runner.run(add, timeout=30)
    try:
        runner.run(up, timeout=30)
    except BaseException:
        delete_link(name)  # made here, so removed here: never a bridge that existed before
        raise
