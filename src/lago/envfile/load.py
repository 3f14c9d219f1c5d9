"""Read an env file (YAML or JSON) into plain data plus a map of field path → line.

Field paths are tuples like ``("domains", "vm0", "nics", 0, "net")``; the line map lets the
validator say ``env.yaml:12: domains.vm0.nics[0].net: ...``.
"""
from __future__ import annotations

import json
from typing import Any, Dict, List, Tuple

from ..errors import SpecError
from ..vendored import yaml as _yaml

Path = Tuple[Any, ...]
ANCHORS: Path = ("<anchors>",)
MAX_NODES = 50_000  # far more than any real env file; bounds alias expansion
MAX_DEPTH = 64
_TOO_BIG = ("{path}: the document is nested deeper than %d levels or expands to more than %d "
            "values (recursive or nested YAML aliases?)" % (MAX_DEPTH, MAX_NODES))


def dotted(path: Path) -> str:
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "(top level)"


def load(path: str) -> Tuple[Any, Dict[Path, int], List[str]]:
    """Return (data, lines, problems); syntax errors raise SpecError at once.

    ``lines`` also holds, under ``ANCHORS``, the set of top-level keys whose value another
    part of the document refers to by a YAML alias (a block kept only to be reused)."""
    try:
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
    except FileNotFoundError:
        raise SpecError(path, [f"{path}: no such env file"]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SpecError(path, [f"{path}: cannot read the env file: {exc}"]) from None
    if path.endswith(".json") or text.lstrip().startswith("{"):
        return _load_json(path, text)
    return _load_yaml(path, text)


def _load_json(path: str, text: str) -> Tuple[Any, Dict[Path, int], List[str]]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SpecError(path, [f"{path}:{exc.lineno}: JSON syntax error: {exc.msg} "
                               f"(column {exc.colno})"]) from None
    except RecursionError:
        raise SpecError(path, [_TOO_BIG.format(path=path)]) from None
    if _data_size(data) > MAX_NODES:
        raise SpecError(path, [_TOO_BIG.format(path=path)])
    return data, {}, []


def _load_yaml(path: str, text: str) -> Tuple[Any, Dict[Path, int], List[str]]:
    yaml = _yaml()
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is not None and _expanded_size(yaml, node) > MAX_NODES:
            # Aliases can make a few lines expand exponentially ("billion laughs") or
            # refer to themselves; either would hang or blow the stack below.
            raise SpecError(path, [_TOO_BIG.format(path=path)])
        lines: Dict[Path, int] = {}
        problems: List[str] = []
        if node is not None:
            # Before construction: PyYAML flattens merge keys (<<) into the node in place,
            # which would make a key written beside '<<: *anchor' look like a duplicate.
            _walk(yaml, node, (), lines, problems, path)
            lines[ANCHORS] = _aliased_top_keys(yaml, node)  # type: ignore[assignment]
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{path}:{mark.line + 1}" if mark else path
        what = exc.problem or exc.context or "syntax error"
        raise SpecError(path, [f"{where}: YAML syntax error: {what}"]) from None
    except yaml.YAMLError as exc:
        raise SpecError(path, [f"{path}: YAML error: {exc}"]) from None
    except RecursionError:
        raise SpecError(path, [_TOO_BIG.format(path=path)]) from None
    finally:
        loader.dispose()
    return data, lines, problems


def _aliased_top_keys(yaml: Any, root: Any) -> Any:
    """Top-level keys whose value node appears again elsewhere (an alias resolves to the
    very node its anchor marks)."""
    if not isinstance(root, yaml.MappingNode):
        return frozenset()
    seen: Dict[int, int] = {}
    stack = [v for _, v in root.value]
    while stack:
        node = stack.pop()
        seen[id(node)] = seen.get(id(node), 0) + 1
        if seen[id(node)] > 1:
            continue  # already walked below this node
        if isinstance(node, yaml.MappingNode):
            stack += [v for _, v in node.value]
        elif isinstance(node, yaml.SequenceNode):
            stack += node.value
    return frozenset(k.value for k, v in root.value
                     if isinstance(k, yaml.ScalarNode) and seen.get(id(v), 0) > 1)


def _expanded_size(yaml: Any, root: Any) -> int:
    """How many nodes the document has with every alias expanded, counting up to the limit
    (a document nested deeper than MAX_DEPTH counts as too big: it would blow the stack)."""
    count, stack = 0, [(root, 0)]
    while stack and count <= MAX_NODES:
        node, depth = stack.pop()
        count += 1 if depth <= MAX_DEPTH else MAX_NODES + 1
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                stack += ((key, depth + 1), (value, depth + 1))
        elif isinstance(node, yaml.SequenceNode):
            stack += ((item, depth + 1) for item in node.value)
    return count


def _data_size(data: Any) -> int:
    """The same measure for parsed JSON."""
    count, stack = 0, [(data, 0)]
    while stack and count <= MAX_NODES:
        value, depth = stack.pop()
        count += 1 if depth <= MAX_DEPTH else MAX_NODES + 1
        if isinstance(value, dict):
            stack += ((v, depth + 1) for v in value.values())
        elif isinstance(value, list):
            stack += ((v, depth + 1) for v in value)
    return count


def _walk(yaml: Any, node: Any, path: Path, lines: Dict[Path, int], problems: List[str],
          fname: str) -> None:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        seen: Dict[Any, int] = {}
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
            if key == "<<":
                continue
            line = key_node.start_mark.line + 1
            if key in seen:
                problems.append(f"{fname}:{line}: {dotted(path + (key,))}: duplicate key "
                                f"(first at line {seen[key]})")
            else:
                seen[key] = line
            _walk(yaml, value_node, path + (key,), lines, problems, fname)
            lines[path + (key,)] = line
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _walk(yaml, item, path + (index,), lines, problems, fname)
