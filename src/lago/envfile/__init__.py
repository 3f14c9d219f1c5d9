"""The env file: read it (load.py), check it into the env model with located problems
(check.py), with upstream Lago's own keys (upstream.py). Callers use ``load_env``."""
from .check import load_env
from .upstream import DEFAULT_USER_VAR

__all__ = ["load_env", "DEFAULT_USER_VAR"]
