"""The env file → the env model, every problem reported at once and located (SPEC §4).

load.py reads YAML or JSON with a line for every field; check.py checks the document with the
collector in checker.py, nets.py (nets, static addresses) and domains.py (VMs, NICs, disks);
upstream.py adds the keys of upstream Lago's own files. Callers use ``load_env``.
"""
from .check import load_env
from .upstream import DEFAULT_USER_VAR

__all__ = ["load_env", "DEFAULT_USER_VAR"]
