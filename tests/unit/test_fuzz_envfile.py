"""Fuzzing the env-file loader: every document either loads or is rejected with exit 2 and a
message — never a traceback, never a file written. hypothesis is a test-only dependency."""
import json
import os
import tempfile

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from lago import cli

EXAMPLES = int(os.environ.get("LAGO_FUZZ_EXAMPLES", "100"))  # make test: 1000
HOSTILE = ["a'b", "$(x)", "`id`", "<x/>", "&amp;", "a\"b", "x" * 300, "ü-名前", "..", "/etc",
           "a b", "-rf", "\x00", "\u202e", "%s", "{x}", ";reboot"]
KEYS = ["domains", "nets", "prototypes", "memory", "vcpu", "nics", "disks", "net", "ip", "type",
        "path", "format", "dev", "name", "size", "boot", "kernel", "cmdline", "gw", "dhcp",
        "start", "end", "mtu", "management", "dns_records", "based-on", "root-password",
        "ssh-user", "provision", "metadata", "groups"]

scalars = st.one_of(st.none(), st.booleans(), st.integers(-2**40, 2**40),
                    st.floats(allow_nan=True), st.text(max_size=20), st.sampled_from(HOSTILE),
                    st.sampled_from(["nat", "isolated", "bridge", "none", "qcow2", "vda",
                                     "192.168.200.10", "192.168.200.1", "10G", "base.qcow2",
                                     "$LAGO_PREFIX_PATH/x", "${NOPE}", "lan", "vm0"]))
keys = st.one_of(st.sampled_from(KEYS), st.sampled_from(HOSTILE), st.text(max_size=8),
                 st.integers(-5, 5))
values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(keys, inner, max_size=5)), max_leaves=10)
# Mostly env-shaped documents (so validation goes deep), some arbitrary data, some raw text.
shaped = st.fixed_dictionaries({
    "nets": st.one_of(st.just({"lan": {}}), st.just({"lan": {"type": "isolated"}}),
                      st.dictionaries(st.one_of(st.just("lan"), keys), values, max_size=2)),
    "domains": st.dictionaries(st.one_of(st.just("vm0"), keys), st.one_of(
        st.fixed_dictionaries({"provision": st.just("none"), "nics": st.just([{"net": "lan"}]),
                               "disks": st.just([{"type": "file", "path": "base.qcow2"}])},
                              optional={k: values for k in KEYS[3:]
                                        if k not in ("nics", "disks", "provision")}),
        values), max_size=3)}, optional={"prototypes": values})
# Valid documents with a few well-formed optional fields: the loader's accepting side.
VM = {"provision": "none", "nics": [{"net": "lan"}],
      "disks": [{"type": "file", "path": "base.qcow2"}]}
valid = st.fixed_dictionaries({
    "nets": st.just({"lan": {"type": "nat"}}),
    "domains": st.dictionaries(st.sampled_from(["vm0", "vm1", "db", "web-1"]), st.builds(
        lambda extra: {**VM, **extra}, st.fixed_dictionaries({}, optional={
            "memory": st.integers(64, 4096), "vcpu": st.integers(1, 4),
            "metadata": st.dictionaries(st.text(min_size=1, max_size=5), st.text(max_size=5),
                                        max_size=2)})), min_size=1, max_size=3)})
documents = st.one_of(
    valid.map(lambda d: ("yaml", d)),
    shaped.map(lambda d: ("yaml", d)), shaped.map(lambda d: ("json", d)),
    values.map(lambda d: ("yaml", d)),
    st.text(alphabet=st.sampled_from(list("{}[]:,-&*!|>'\"#%@` \n\tab1.?<=$\\")),
            max_size=120).map(lambda t: ("text", t)))


def render(kind, doc):
    if kind == "text":
        return doc, "env.yaml"
    if kind == "json":
        return json.dumps(doc, default=str), "env.json"
    import yaml  # the test environment's PyYAML, to write documents; lago reads its own
    return yaml.safe_dump(doc, allow_unicode=True), "env.yaml"


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    for var in list(os.environ):
        if var.startswith("LAGO_"):
            monkeypatch.delenv(var)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))


def test_every_generated_env_file_loads_or_exits_2_with_a_message(clean_env, capsys):
    pytest.importorskip("yaml")
    seen = {"docs": 0, "valid": 0, "rejected": 0}
    base = tempfile.mkdtemp(prefix="lago-fuzz-")
    with open(os.path.join(base, "base.qcow2"), "w") as fh:
        fh.write("x")

    @settings(max_examples=EXAMPLES, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(documents)
    def one(doc):
        text, name = render(*doc)
        path = os.path.join(base, name)
        with open(path, "w", encoding="utf-8", errors="surrogatepass") as fh:
            fh.write(text)
        before = sorted(os.listdir(base))
        capsys.readouterr()
        code = cli.main(["-w", os.path.join(base, ".lago"), "validate", path])
        out, err = capsys.readouterr()
        assert code in (0, 2), (text, err)
        assert "Traceback" not in err
        if code == 2:
            assert err.startswith("lago.pyz: ") and len(err.strip()) > 10, (text, err)
            seen["rejected"] += 1
        else:
            seen["valid"] += 1
        # Validation writes nothing: no workdir, no new file beside the env file.
        assert sorted(os.listdir(base)) == before
        seen["docs"] += 1

    one()
    print(f"fuzz: {seen}")
    assert seen["docs"] >= EXAMPLES
    assert seen["valid"] > 0 and seen["rejected"] > 0


# The fields that reach an ssh argv, an ssh_config, an inventory, a commands file or XML:
# generated text (control characters included) and known attacks, in an env that is valid
# otherwise. Whatever loads must hold only what those writers can carry.
ATTACKS = ["-oProxyCommand=touch /tmp/x", "root\n    ProxyCommand x", "u:file:/etc/shadow",
           "web]\nvm0 ansible_user=x", "../../etc", "a\x07b", "quiet\x00", "r@h", "", "root",
           "cloud-user", "web", "all-web", "debian-12", "console=ttyS0 quiet"]
field_text = st.one_of(st.text(max_size=12), st.sampled_from(ATTACKS))
fielded = st.builds(lambda user, groups, cmdline, tname, distro, artifact: {
    "nets": {"lan": {}},
    "domains": {"vm0": {**VM, "ssh-user": user, "groups": groups, "distro": distro,
                        "artifacts": [artifact],
                        "boot": {"kernel": "base.qcow2", "cmdline": cmdline},
                        "disks": VM["disks"] + [{"type": "template", "template_name": tname}]}}},
    field_text, st.lists(field_text, max_size=3), field_text, field_text, field_text, field_text)


def test_fields_that_reach_argv_and_line_based_files_are_safe_whenever_a_file_loads(tmp_path):
    from lago import envfile, safe, store
    from lago.errors import SpecError
    (tmp_path / "base.qcow2").write_text("x")
    path = tmp_path / "env.json"
    seen = {"loaded": 0, "rejected": 0}

    @settings(max_examples=EXAMPLES, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(fielded)
    @example({"nets": {"lan": {}}, "domains": {"vm0": {
        **VM, "ssh-user": "cloud-user", "groups": ["web"], "boot": {"kernel": "base.qcow2"},
        "disks": VM["disks"] + [{"type": "template", "template_name": "debian-12"}]}}})
    def one(doc):
        path.write_text(json.dumps(doc))
        try:
            env = envfile.load_env(str(path))
        except SpecError:
            seen["rejected"] += 1
            return
        seen["loaded"] += 1
        dom = env.domains["vm0"]
        assert safe.USER_RE.match(dom.ssh_user)
        assert all(safe.GROUP_RE.match(g) for g in dom.groups)
        assert store.NAME_RE.match(dom.disks[1].template_name)
        for text in (dom.boot.cmdline, dom.distro or "", *dom.artifacts):
            assert safe.control_char(text) is None, text

    one()
    print(f"fuzz fields: {seen}")
    assert seen["loaded"] > 0 and seen["rejected"] > 0
