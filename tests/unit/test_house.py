"""House rules as tests: how src/lago is layered, and what each layer may do.

The layers, top down:
- command line: cli.py (global options, the verb table, main() → exit code) and commands/, one
  small module per verb: parse, call the object model, format; the only code that prints.
- the object model, upstream Lago's documented API: ONE Prefix class, in prefix.py (its
  paths, config, initialize/virt_conf), making.py (up, create and validate of an env file),
  env.py (Lifecycle: the saved state, the lock, the undo transaction and the order of
  operations of start, stop, shutdown, destroy) and running.py (the verbs); virt.py, vm.py (VM, with its
  guest's operations in guest.py), sdk.py, subnet_lease.py, dirlock.py, sysprep.py, utils.py,
  brctl.py, constants.py; our own API (api.py: lago.init/load/up) thin over Prefix and VM.
  Nothing below imports it at run time.
- the steps, each taking that Prefix: create.py (making a prefix), networks.py, domains.py,
  provision, snapshots, collect, export, templates, store, readiness ...; they return data.
  status is apart, read only: envstatus.py reads the saved state (state.py, typed) and asks
  virsh once.
- pure logic, no processes: model.py, the envfile package (env file → model, located
  problems), xmlgen.py, addressing.py, netconfig.py, cloudinit.py, cpu.py, inventory.py,
  safe.py, paths.py; leases.py keeps the host-wide lease files.
- tool modules, one per external tool with pure argv builders: virsh.py, qemu_img.py,
  guestfs.py, ssh.py, iproute.py, openssl.py, isoimage.py; the leaves do not import each other.
- runner.py: the only module that starts processes.

Rules: no shell, only stdlib + the vendored packages (imported lazily through vendored.py), no
module over 400 lines, read-only verbs import no more than they need.
"""
import ast
import os
import subprocess
import sys

import pytest

SRC = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                   "src", "lago")
VENDORED = {"yaml", "pexpect", "ptyprocess"}


def sources():
    for root, _, files in os.walk(SRC):
        for name in files:
            if name.endswith(".py"):
                path = os.path.join(root, name)
                with open(path, encoding="utf-8") as fh:
                    yield path, ast.parse(fh.read(), path)


def imported(tree):
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module.split(".")[0]


def test_only_the_runner_imports_subprocess():
    offenders = [p for p, tree in sources() if "subprocess" in set(imported(tree))
                 and not p.endswith(os.sep + "runner.py")]
    assert offenders == []


def test_no_shell_true_and_no_os_system():
    bad = []
    for path, tree in sources():
        for node in ast.walk(tree):
            if isinstance(node, ast.keyword) and node.arg == "shell":
                bad.append(f"{path}: shell=")
            if isinstance(node, ast.Attribute) and node.attr in ("system", "popen") and \
                    isinstance(node.value, ast.Name) and node.value.id == "os":
                bad.append(f"{path}: os.{node.attr}")
    assert bad == []


def test_only_stdlib_and_vendored_imports():
    stdlib = set(sys.stdlib_module_names) if hasattr(sys, "stdlib_module_names") else None
    if stdlib is None:
        pytest.skip("needs Python 3.10+ to list the standard library")
    bad = {(p, m) for p, tree in sources() for m in imported(tree)
           if m not in stdlib and m != "lago" and not (m in VENDORED and p.endswith("vendored.py"))}
    assert bad == set()


def test_vendored_packages_are_imported_lazily_through_one_module():
    for path, tree in sources():
        if path.endswith("vendored.py"):
            continue
        top = [n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))]
        names = set()
        for node in top:
            if isinstance(node, ast.Import):
                names.update(a.name.split(".")[0] for a in node.names)
            elif node.module and node.level == 0:
                names.add(node.module.split(".")[0])
        assert not names & VENDORED, path


def test_leaf_modules_do_not_import_each_other():
    leaves = {"virsh", "qemu_img", "ssh", "iproute", "xmlgen", "leases"}
    for path, tree in sources():
        mod = os.path.splitext(os.path.relpath(path, SRC))[0]  # commands/leases is no leaf
        if mod not in leaves:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.level == 1:
                names = {node.module} if node.module else {a.name for a in node.names}
                assert not names & (leaves - {mod}), f"{mod} imports {names & leaves}"


def test_no_eval_exec_pickle_unsafe_yaml_or_mktemp():
    bad = []
    for path, tree in sources():
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and \
                    node.func.id in ("eval", "exec", "compile"):
                bad.append(f"{path}: {node.func.id}()")
            if isinstance(node, ast.Attribute) and node.attr in (
                    "mktemp", "FullLoader", "UnsafeLoader", "unsafe_load", "full_load"):
                bad.append(f"{path}: .{node.attr}")
            if isinstance(node, ast.Attribute) and node.attr == "load" and \
                    isinstance(node.value, ast.Name) and node.value.id == "yaml":
                bad.append(f"{path}: yaml.load")  # SafeLoader only
        bad += [f"{path}: imports {m}" for m in imported(tree) if m in ("pickle", "marshal",
                                                                         "shelve")]
    assert bad == []


def test_only_the_runner_starts_or_replaces_processes():
    calls = ("execv", "execvp", "execvpe", "execl", "execlp", "spawnv", "spawnl", "fork",
             "posix_spawn", "posix_spawnp")
    offenders = []
    for path, tree in sources():
        if path.endswith(os.sep + "runner.py"):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr in calls and \
                    isinstance(node.value, ast.Name) and node.value.id == "os":
                offenders.append(f"{path}: os.{node.attr}")
    assert offenders == []



# The object model (upstream Lago's documented API, with the verbs as Prefix's methods, and
# our own API over it): on top of the orchestrator and its steps, which never import it.
UPSTREAM_API = {"prefix", "env", "making", "running", "virt", "vm", "guest", "sdk",
                "api", "subnet_lease", "dirlock", "sysprep", "utils", "brctl", "constants"}
ABOVE = ("cli", "commands.")  # the command line, over the object model


def _type_checking_nodes(tree):
    """The import statements under ``if TYPE_CHECKING:`` (annotations only, never run)."""
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and \
                node.test.id == "TYPE_CHECKING":
            out.update(id(n) for stmt in node.body for n in ast.walk(stmt))
    return out


def _relative_imports(tree, runtime_only=False):
    skip = _type_checking_nodes(tree) if runtime_only else set()
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.ImportFrom) and node.level >= 1:
            if node.module:
                yield node.module.split(".")[0]
            else:
                yield from (a.name for a in node.names)


def test_nothing_below_the_upstream_api_imports_it():
    bad = []
    for path, tree in sources():
        mod = os.path.splitext(os.path.relpath(path, SRC))[0].replace(os.sep, ".")
        if mod in UPSTREAM_API or mod == "__init__" or mod.startswith(ABOVE):
            # (the package hands them out lazily)
            continue
        # The steps take the one Prefix as an argument: they may name it in annotations.
        bad += [f"{mod} imports {m}" for m in _relative_imports(tree, runtime_only=True)
                if m in UPSTREAM_API]
    assert bad == []


def test_the_models_vms_and_networks_reach_env_wide_steps_through_the_prefix():
    """vm.VM and virt.Network make what an env shares (its networks, its domains, a prefix)
    through the Prefix's own steps, so the order of operations stays in one place."""
    steps = {"networks", "domains", "create", "making"}
    bad = []
    for path, tree in sources():
        if os.path.relpath(path, SRC) in ("vm.py", "virt.py"):
            bad += [f"{os.path.basename(path)} imports {m}"
                    for m in sorted(set(_relative_imports(tree)) & steps)]
    assert bad == []


def test_the_package_imports_nothing_until_an_attribute_is_asked_for():
    """`import lago` (every CLI start) stays one module: the rest comes by __getattr__."""
    with open(os.path.join(SRC, "__init__.py"), encoding="utf-8") as fh:
        tree = ast.parse(fh.read())
    assert [n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))] == []


MAX_LINES = 400


def test_no_module_is_over_400_lines():
    """A module past this is split by responsibility (as envfile/ was), not trimmed."""
    long = {}
    for root, _, files in os.walk(SRC):
        for name in files:
            if name.endswith(".py"):
                path = os.path.join(root, name)
                with open(path, encoding="utf-8") as fh:
                    count = sum(1 for _ in fh)
                if count > MAX_LINES:
                    long[os.path.relpath(path, SRC)] = count
    assert long == {}


def _loaded_after_importing(verbs, wanted):
    """The modules of ``wanted`` (a Python expression on m) loaded by importing the verbs."""
    code = ("import importlib, sys\n"
            f"for verb in {tuple(verbs)!r}:\n"
            "    importlib.import_module('lago.commands.' + verb)\n"
            f"print(sorted(m for m in sys.modules if {wanted}))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=dict(os.environ, PYTHONPATH=os.path.dirname(SRC)), check=True)
    return out.stdout.strip()


def test_read_only_verbs_do_not_import_the_env_file_loader():
    """status, ssh and stop read a prefix's saved model: the YAML and env-file checking code
    (the envfile package, the vendored yaml) stay out of their start-up cost."""
    assert _loaded_after_importing(
        ("status", "ssh", "lifecycle"),
        "m.startswith('lago.envfile') or m.split('.')[0] == 'yaml' or m == 'lago.create'") == "[]"


def test_status_is_a_read_only_path():
    """status reads the saved state and asks libvirt once (envstatus.py): it imports neither
    the object model (lago.Prefix, with its lock, undo and parallel steps) nor ssh, nor the
    env model (a VM's distro is read from the saved env as it is)."""
    assert _loaded_after_importing(
        ("status",), "m in ('lago.prefix', 'lago.env', 'lago.create', 'lago.ssh', "
                     "'lago.parallel', 'lago.undo', 'lago.xmlgen', 'lago.guest', 'lago.model', "
                     "'configparser')") == "[]"


def test_ssh_is_a_read_only_path():
    """`ssh VM -- CMD` reads the saved state and execs ssh (session.py): none of the modules
    that make or change envs, nor the env model, nor what only other runs need."""
    assert _loaded_after_importing(
        ("ssh",), "m in ('lago.env', 'lago.prefix', 'lago.running', 'lago.guest', "
                  "'lago.making', 'lago.create', 'lago.model', 'lago.virsh', 'subprocess', "
                  "'socket', 'configparser', 'xml.etree.ElementTree')") == "[]"


def test_verbs_call_the_operations_not_the_tools():
    """commands/ parse, call the operations and format: no tool module (virsh, ssh, qemu-img,
    libguestfs, ip) and no day-2 internals. runner is used for one thing only, handing the
    terminal over (exec) to ssh or the console."""
    tools = {"virsh", "qemu_img", "guestfs", "guestfish", "ssh", "iproute", "openssl",
             "isoimage", "guest", "subprocess"}
    bad = []
    for path, tree in sources():
        if os.sep + "commands" + os.sep not in path:
            continue
        names = set(_relative_imports(tree)) | set(imported(tree))
        bad += [f"{os.path.basename(path)} imports {m}" for m in sorted(names & tools)]
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and \
                    node.value.id == "runner" and node.attr != "exec_replace":
                bad.append(f"{os.path.basename(path)}: runner.{node.attr}")
    assert bad == []


# What a verb (commands/) may import: the object model (prefix: lago.Prefix, with its VMs),
# the read-only paths of status and ssh, pure logic and formatting, and the host-wide stores
# and checks that belong to no env (workdir, leases, templates, doctor). Everything else, the orchestration
# and its steps (env, create, networks, domains, guest, snapshots, collect, export, readiness,
# provision, console ...), is reached through lago.Prefix: the order of operations has one home.
VERB_IMPORTS = {"prefix", "envstatus", "session", "errors", "config", "paths", "fsutil",
                "inventory", "completion", "events", "services", "vendored", "cli", "runner",
                "workdir", "leases", "store", "repo", "imagefile", "doctor"}


# The Python APIs over the object model (lago.sdk; lago.init/load/up in api.py) keep to the
# same: the model's classes (virt, vm), their saved state's types and logging set-up besides.
API_IMPORTS = VERB_IMPORTS | {"api", "virt", "vm", "state", "log"}


def _imports_of_the_package(path, tree):
    """Modules of the lago package that ``tree`` (at ``path``) imports, relatively."""
    level = 2 if os.sep + "commands" + os.sep in path else 1
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == level:
            if node.module:
                yield node.module.split(".")[0]
            else:
                yield from (a.name for a in node.names)


def test_verbs_on_an_env_go_through_the_object_model():
    """A verb that makes or runs an env opens a lago.Prefix (or reads status, or opens an ssh
    session: the read-only paths) and formats what it returns, and so do lago.sdk and
    lago.init/load/up: none imports an orchestration module."""
    bad = []
    for path, tree in sources():
        if os.sep + "commands" + os.sep in path:
            allowed = VERB_IMPORTS
        elif os.path.basename(path) in ("sdk.py", "api.py"):
            allowed = API_IMPORTS
        else:
            continue
        bad += [f"{os.path.basename(path)} imports {m}"
                for m in sorted(set(_imports_of_the_package(path, tree)) - allowed)]
    assert bad == []


def test_loggers_come_from_log_py():
    """A module's logger is log.logger(name): it imports logging only for a record that is
    shown (a module-level logging.getLogger would import it in every verb that loads it)."""
    bad = []
    for path, tree in sources():
        if os.path.basename(path) == "log.py":
            continue
        for node in tree.body:
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call) and \
                    isinstance(node.value.func, ast.Attribute) and \
                    node.value.func.attr == "getLogger":
                bad.append(os.path.relpath(path, SRC))
    assert bad == []
