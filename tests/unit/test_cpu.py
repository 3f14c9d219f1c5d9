"""A domain's <cpu> from cpu_model / cpu_custom / nested, as Lago produced it (goldens)."""
import xml.etree.ElementTree as ET

import pytest

from lago import cpu, xmlgen

INTEL = {"vendor": "Intel", "flags": ["fpu", "vmx", "sse2"]}
AMD = {"vendor": "AMD", "flags": ["fpu", "svm"]}
NO_FLAG = {"vendor": "Intel", "flags": ["fpu"]}

CASES = {
    # name: (kwargs, domain_type, host)
    "cpu-model-kvm-intel": (dict(cpu_model="Westmere"), "kvm", INTEL),
    "cpu-model-kvm-amd": (dict(cpu_model="Opteron_G3"), "kvm", AMD),
    "cpu-model-kvm-vendor-differs": (dict(cpu_model="Westmere"), "kvm", AMD),
    "cpu-model-kvm-no-flag": (dict(cpu_model="Westmere"), "kvm", NO_FLAG),
    "cpu-model-tcg": (dict(cpu_model="Westmere"), "qemu", INTEL),
    "nested-kvm": (dict(nested=True), "kvm", INTEL),
    "nested-tcg": (dict(nested=True), "qemu", INTEL),
    "nested-with-model-tcg": (dict(nested=True, cpu_model="Nehalem"), "qemu", INTEL),
    "cpu-custom": (dict(cpu_custom={
        "@mode": "custom", "@match": "exact",
        "model": {"@fallback": "allow", "#text": "Westmere"},
        "feature": {"@policy": "optional", "@name": "vmx"},
        "numa": {"cell": [{"@id": 0, "@cpus": 0, "@memory": 2048, "@unit": "MiB"},
                          {"@id": 1, "@cpus": 1, "@memory": 2048, "@unit": "MiB"}]}}),
        "kvm", INTEL),
}


def render(name):
    kwargs, domain_type, host = CASES[name]
    args = dict(cpu_model=None, cpu_custom=None, nested=False, vcpu=2, domain_type=domain_type,
                host=host)
    args.update(kwargs)
    el = cpu.element(**args)
    ET.indent(el)
    return ET.tostring(el, encoding="unicode") + "\n"


def test_cpu_elements_match_golden(golden):
    text = "".join(f"<!-- {name} -->\n{render(name)}" for name in sorted(CASES))
    golden("cpu-elements.xml", text)


def test_cpu_model_under_kvm_is_lagos_exact_model_with_the_nested_flag():
    el = ET.fromstring(render("cpu-model-kvm-intel"))
    assert el.get("match") == "exact" and el.findtext("model") == "Westmere"
    assert el.find("topology").attrib == {"sockets": "2", "cores": "1", "threads": "1"}
    assert el.find("feature").attrib == {"policy": "require", "name": "vmx"}
    assert ET.fromstring(render("cpu-model-kvm-amd")).find("feature").get("name") == "svm"
    for other in ("cpu-model-kvm-vendor-differs", "cpu-model-kvm-no-flag"):
        assert ET.fromstring(render(other)).find("feature") is None


def test_tcg_gets_an_emulated_model_and_never_a_required_flag():
    for name in ("cpu-model-tcg", "nested-tcg", "nested-with-model-tcg"):
        el = ET.fromstring(render(name))
        assert el.get("mode") == "custom" and el.find("feature") is None
        assert el.get("check") == "none"
    assert ET.fromstring(render("nested-tcg")).findtext("model") == cpu.TCG_MODEL
    assert ET.fromstring(render("nested-with-model-tcg")).findtext("model") == "Nehalem"
    assert ET.fromstring(render("nested-kvm")).get("mode") == "host-passthrough"


def test_no_cpu_key_keeps_qemus_default_cpu():
    assert cpu.element(cpu_model=None, cpu_custom=None, nested=False, vcpu=1,
                       domain_type="kvm", host=INTEL) is None


def test_the_cpu_goes_into_the_domain_after_vcpu():
    el = cpu.element(cpu_model="Westmere", cpu_custom=None, nested=False, vcpu=1,
                     domain_type="qemu", host=INTEL)
    xml = xmlgen.domain_xml(name="d", vm="v", domain_type="qemu", arch="x86_64", memory_mib=64,
                            vcpu=1, disks=[], nics=[], cpu=el)
    tags = [child.tag for child in ET.fromstring(xml)]
    assert tags.index("cpu") == tags.index("vcpu") + 1


@pytest.mark.parametrize("bad", [{"@mode": {"x": 1}}, {"bad name": 1}, {"@1x": "a"}])
def test_cpu_custom_that_cannot_be_xml_is_refused(bad):
    with pytest.raises(ValueError):
        cpu.custom_element(bad)


def test_host_cpu_is_read_from_cpuinfo():
    text = "processor\t: 0\nvendor_id\t: AuthenticAMD\nflags\t\t: fpu svm lm\n\nprocessor\t: 1\n"
    assert cpu.host_cpu(text) == {"vendor": "AMD", "flags": ["fpu", "svm", "lm"]}


def test_nested_without_kvm_is_said_once_for_the_env():
    class D:
        def __init__(self, name, nested):
            self.name, self.nested = name, nested
    doms = [D("a", True), D("b", False), D("c", True)]
    assert "a, c" in cpu.nested_unavailable(doms, "qemu")
    assert cpu.nested_unavailable(doms, "kvm") is None
    assert cpu.nested_unavailable([D("b", False)], "qemu") is None
