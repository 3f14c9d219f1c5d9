"""Upstream Lago's ``lago.brctl``: host bridges, made and removed with ``ip`` (iproute.py)."""
from __future__ import annotations

from . import iproute


def create(name: str, stp: bool = True) -> None:
    """A new bridge ``name``, up, spanning tree on unless ``stp`` is false."""
    iproute.add_plain_bridge(name, stp)


def destroy(name: str) -> None:
    iproute.delete_link(name)


def exists(name: str) -> bool:
    return name in iproute.bridge_names()
