"""Every public name of upstream Lago's API reference resolves in the BUILT lago.pyz and
takes the reference's parameters (names, order, which are optional).

The reference is the Sphinx text of upstream Lago's API (not kept in this repository): its
path is $LAGO_API_REFERENCE, else ../shared/000_aa1d3c3238430a17.txt beside the checkout.
Names with a leading underscore anywhere in their path are upstream's internals and are not
required; every other module, class, function, method, property and constant is.
"""
import json
import os
import re
import subprocess
import sys

import pytest

from test_build import pyz  # noqa: F401  (a freshly built lago.pyz, per module)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
REFERENCE_NAME = "000_aa1d3c3238430a17.txt"
TYPE_WORDS = {"str", "dict", "bool", "int", "list", "tuple", "None", "object"}

_QUALIFIED = re.compile(r"^(class |classmethod )?(lago(?:\.\w+)*)\.(\w+)(?:\((.*)\))?\[source\]$")
_MEMBER = re.compile(r"^(classmethod )?(\w+)\((.*)\)\[source\]$")
_CONSTANT = re.compile(r"^(lago(?:\.\w+)*)\.(\w+) = (.*)$")
_CLASS_CONSTANT = re.compile(r"^([A-Z_][A-Z0-9_]*) = (.*)$")
_MODULE = re.compile(r"^(lago(?:\.\w+)*) module$")
_BASES = re.compile(r"^Bases: (lago(?:\.\w+)+)$")
_ATTRIBUTE = re.compile(r"^([a-z]\w*)$")


def reference_path():
    for path in (os.environ.get("LAGO_API_REFERENCE"),
                 os.path.join(ROOT, "..", "shared", REFERENCE_NAME),
                 os.path.join(ROOT, "..", "..", "shared", REFERENCE_NAME)):
        if path and os.path.isfile(path):
            return path
    pytest.fail(f"the API reference {REFERENCE_NAME} is not found: set LAGO_API_REFERENCE")


def split_params(text):
    """Parameter names of a reference signature: [(name, kind, has_default)], kinds
    'plain', 'var' (*args), 'varkw' (**kwargs). Defaults may hold commas inside <...>."""
    parts, depth, cur = [], 0, ""
    for ch in text:
        if ch in "<([{":
            depth += 1
        elif ch in ">)]}":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    if cur.strip():
        parts.append(cur)
    out = []
    for part in (p.strip() for p in parts):
        name, _, default = part.partition("=")
        kind = "varkw" if name.startswith("**") else "var" if name.startswith("*") else "plain"
        out.append((name.lstrip("*").strip(), kind, bool(default)))
    return out


def parse(text):
    """The reference as a list of expectations (dicts with 'kind' and 'name')."""
    items, cls = [], None
    for line in (l.strip() for l in text.splitlines()):
        m = _MODULE.match(line)
        if m:
            items.append({"kind": "module", "name": m.group(1)})
            cls = None
            continue
        m = _QUALIFIED.match(line)
        if m:
            kind = "class" if m.group(1) == "class " else "function"
            name = f"{m.group(2)}.{m.group(3)}"
            # A class shown without parentheses documents no constructor parameters.
            params = None if m.group(4) is None else split_params(m.group(4))
            items.append({"kind": kind, "name": name, "params": params})
            cls = name if kind == "class" else None
            continue
        m = _CONSTANT.match(line)
        if m:
            items.append({"kind": "constant", "name": f"{m.group(1)}.{m.group(2)}"})
            continue
        if cls is None:
            continue
        m = _BASES.match(line)
        if m and m.group(1) != cls:
            items.append({"kind": "base", "name": cls, "base": m.group(1)})
            continue
        m = _MEMBER.match(line)
        if m:
            items.append({"kind": "method", "name": f"{cls}.{m.group(2)}",
                          "params": split_params(m.group(3)),
                          "classmethod": bool(m.group(1))})
            continue
        m = _CLASS_CONSTANT.match(line)
        if m:
            value = m.group(2)
            items.append({"kind": "constant", "name": f"{cls}.{m.group(1)}",
                          "value": int(value) if value.isdigit() else None})
            continue
        m = _ATTRIBUTE.match(line)
        if m and m.group(1) not in TYPE_WORDS:
            items.append({"kind": "property", "name": f"{cls}.{m.group(1)}"})
    return items


def public(item):
    names = item["name"].split(".") + ([item["base"]] if "base" in item else [])
    return not any(part.startswith("_") for n in names for part in n.split("."))


# Runs inside a clean interpreter whose only lago is the built file (argv[1]).
CHECKER = r'''
import importlib, inspect, json, sys
sys.path.insert(0, sys.argv[1])
import lago
assert lago.__file__.startswith(sys.argv[1]), lago.__file__
problems = []

def resolve(name):
    parts = name.split(".")
    obj = importlib.import_module(parts[0])
    for i, part in enumerate(parts[1:], 1):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            obj = importlib.import_module(".".join(parts[:i + 1]))
    return obj

def owner_and_attr(name):
    head, _, attr = name.rpartition(".")
    return resolve(head), attr

def check_params(name, fn, params, drop_first):
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError) as exc:
        return problems.append(f"{name}: no signature ({exc})")
    ours = list(sig.parameters.values())
    if drop_first and ours and ours[0].kind != inspect.Parameter.VAR_POSITIONAL:
        ours = ours[1:]
    if any(kind != "plain" for _, kind, _ in params):
        return  # a decorated upstream method (*args, **kwargs): any parameters are fine
    by_name = {p.name: p for p in ours}
    positional = [p.name for p in ours if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    for index, (pname, _, has_default) in enumerate(params):
        p = by_name.get(pname)
        if p is None:
            problems.append(f"{name}: no parameter '{pname}' (has {list(by_name)})")
        elif has_default and p.default is p.empty:
            problems.append(f"{name}: parameter '{pname}' must be optional")
        elif positional[index:index + 1] != [pname]:
            problems.append(f"{name}: parameter '{pname}' is not at position {index}")
    for p in ours:
        if p.name not in dict((n, 1) for n, _, _ in params) and p.default is p.empty and \
                p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY):
            problems.append(f"{name}: extra required parameter '{p.name}'")

for item in json.load(sys.stdin):
    name, kind = item["name"], item["kind"]
    try:
        if kind == "module":
            if not inspect.ismodule(resolve(name)):
                problems.append(f"{name}: not a module")
        elif kind in ("class", "function"):
            obj = resolve(name)
            if kind == "class" and not inspect.isclass(obj):
                problems.append(f"{name}: not a class")
            elif not callable(obj):
                problems.append(f"{name}: not callable")
            elif item["params"] is not None:
                check_params(name, obj, item["params"], False)
        elif kind == "method":
            cls, attr = owner_and_attr(name)
            raw = inspect.getattr_static(cls, attr)
            if item["classmethod"] and not isinstance(raw, classmethod):
                problems.append(f"{name}: not a classmethod")
            fn = getattr(cls, attr)
            if not callable(fn):
                problems.append(f"{name}: not callable")
            else:
                check_params(name, fn, item["params"], not item["classmethod"] and
                             not isinstance(raw, staticmethod))
        elif kind == "property":
            cls, attr = owner_and_attr(name)
            if not isinstance(inspect.getattr_static(cls, attr), property):
                problems.append(f"{name}: not a property")
        elif kind == "constant":
            value = resolve(name)
            if item.get("value") is not None and value != item["value"]:
                problems.append(f"{name}: is {value!r}, the reference says {item['value']}")
        elif kind == "base":
            if not issubclass(resolve(name), resolve(item["base"])):
                problems.append(f"{name}: not a subclass of {item['base']}")
    except (AttributeError, ImportError) as exc:
        problems.append(f"{name}: missing ({exc})")
print(json.dumps(problems))
'''


def check(pyz, items):
    proc = subprocess.run([sys.executable, "-I", "-c", CHECKER, str(pyz)],
                          input=json.dumps(items), capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_every_public_name_of_the_reference_resolves_in_the_built_file(pyz):
    with open(reference_path(), encoding="utf-8") as fh:
        items = [i for i in parse(fh.read()) if public(i)]
    kinds = {k: sum(1 for i in items if i["kind"] == k) for k in
             ("module", "class", "function", "method", "property", "constant")}
    # The reference's shape, so a parser that finds nothing cannot pass.
    assert kinds["module"] >= 10 and kinds["class"] >= 10 and kinds["method"] >= 70, kinds
    assert kinds["property"] == 4 and kinds["constant"] >= 7, kinds
    assert check(pyz, items) == []


def test_the_check_fails_on_a_missing_name_or_parameter(pyz):
    items = parse("lago.virt module\nclass lago.virt.VM(env, spec)[source]\n"
                  "ssh(command, data=None, show_output=True, colour)[source]\n"
                  "no_such_method()[source]\ncopy_from(local_path, remote_path)[source]\n"
                  "lago.subnet_lease.NO_SUCH = 3\nlago.nosuchmodule module\n")
    problems = check(pyz, items)
    assert [p.split(":")[0] for p in problems] == [
        "lago.virt.VM.ssh", "lago.virt.VM.no_such_method", "lago.virt.VM.copy_from",
        "lago.virt.VM.copy_from", "lago.subnet_lease.NO_SUCH", "lago.nosuchmodule"], problems


def test_importing_lago_from_the_built_file_loads_nothing_else(pyz):
    """The reference's modules come on first use: `import lago` stays one module."""
    code = ("import sys; sys.path.insert(0, sys.argv[1]); import lago; "
            "print(sorted(m for m in sys.modules if m.startswith('lago')))")
    out = subprocess.run([sys.executable, "-I", "-c", code, str(pyz)], capture_output=True,
                         text=True, check=True).stdout
    assert out.strip() == "['lago']"
