"""A domain's <cpu> from Lago's ``cpu_model``, ``cpu_custom`` and ``nested`` (pure, no I/O).

Lago's meaning: ``cpu_model: M`` asks for exactly model M, sockets = vcpu, and the
virtualization flag (``vmx`` on Intel, ``svm`` on AMD) when the host has it and M is of the
host's vendor; ``cpu_custom`` is the <cpu> element written as a mapping ('@name' an
attribute, '#text' the text); ``nested`` asks for the host CPU itself (host-passthrough), which
carries the host's flag. Under TCG there is no host CPU to pass through and no nested
virtualization: a named model, which QEMU emulates, and never a required flag.
"""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Any, Dict, Optional, Sequence

MODEL_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
# What QEMU emulates under TCG when nested is asked for and no model is named.
TCG_MODEL = "qemu64"
NESTED_FLAG = {"Intel": "vmx", "AMD": "svm"}
_AMD_MODELS = ("opteron", "epyc", "phenom", "athlon")
_NEUTRAL_MODELS = ("qemu", "kvm", "max", "base")


def model_vendor(model: str) -> Optional[str]:
    """The vendor of a named libvirt CPU model (None for QEMU's own generic models)."""
    low = model.lower()
    if low.startswith(_NEUTRAL_MODELS):
        return None
    return "AMD" if low.startswith(_AMD_MODELS) else "Intel"


def host_cpu(cpuinfo: str) -> Dict[str, Any]:
    """{"vendor": "Intel"|"AMD"|None, "flags": [...]} from /proc/cpuinfo's text."""
    vendor, flags = None, []
    for line in cpuinfo.splitlines():
        key, _, value = line.partition(":")
        key = key.strip()
        if key == "vendor_id" and vendor is None:
            vendor = {"GenuineIntel": "Intel", "AuthenticAMD": "AMD"}.get(value.strip())
        elif key == "flags" and not flags:
            flags = value.split()
    return {"vendor": vendor, "flags": flags}


def custom_element(spec: Dict[str, Any], tag: str = "cpu") -> ET.Element:
    """The mapping form of an XML element: '@x' attributes, '#text' text, other keys child
    elements (a list: one child per item). ValueError names what cannot be XML."""
    el = ET.Element(tag)
    for key, value in spec.items():
        key = str(key)
        if key.startswith("@"):
            _check_name(key[1:], key)
            if isinstance(value, (dict, list)):
                raise ValueError(f"attribute '{key}' needs a plain value")
            el.set(key[1:], _text(value))
        elif key == "#text":
            el.text = _text(value)
        else:
            _check_name(key, key)
            for item in value if isinstance(value, list) else [value]:
                if isinstance(item, dict):
                    el.append(custom_element(item, key))
                else:
                    ET.SubElement(el, key).text = _text(item)
    return el


def _check_name(name: str, key: str) -> None:
    if not re.match(r"^[A-Za-z_][A-Za-z0-9_.-]*$", name):
        raise ValueError(f"'{key}' is not an XML element or attribute name")


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return "" if value is None else str(value)


def _topology(vcpu: int) -> ET.Element:
    return ET.Element("topology", sockets=str(vcpu), cores="1", threads="1")


def element(*, cpu_model: Optional[str], cpu_custom: Optional[Dict[str, Any]], nested: bool,
            vcpu: int, domain_type: str, host: Dict[str, Any]) -> Optional[ET.Element]:
    """The <cpu> for a domain, or None for QEMU's default CPU (no CPU key given)."""
    kvm = domain_type == "kvm"
    if cpu_custom:
        cpu = custom_element(cpu_custom)
        if cpu.find("topology") is None:
            cpu.append(_topology(vcpu))
        return cpu
    if cpu_model:
        if not kvm:
            return _tcg_model(cpu_model, vcpu)
        cpu = ET.Element("cpu", match="exact")
        ET.SubElement(cpu, "model").text = cpu_model
        cpu.append(_topology(vcpu))
        flag = NESTED_FLAG.get(host.get("vendor") or "")
        if flag and model_vendor(cpu_model) == host["vendor"] and flag in host.get("flags", ()):
            ET.SubElement(cpu, "feature", policy="require", name=flag)
        return cpu
    if nested:
        if not kvm:
            return _tcg_model(TCG_MODEL, vcpu)
        cpu = ET.Element("cpu", mode="host-passthrough")
        cpu.append(_topology(vcpu))
        return cpu
    return None


def _tcg_model(model: str, vcpu: int) -> ET.Element:
    """A named model under TCG: no host check (there is no host CPU in the guest) and
    features TCG lacks dropped rather than refused."""
    cpu = ET.Element("cpu", mode="custom", match="exact", check="none")
    ET.SubElement(cpu, "model", fallback="allow").text = model
    cpu.append(_topology(vcpu))
    return cpu


def nested_unavailable(domains: Sequence[Any], domain_type: str) -> Optional[str]:
    """The one warning for an env that asks for nested virtualization where there is none."""
    wanted = [d.name for d in domains if getattr(d, "nested", False)]
    if not wanted or domain_type == "kvm":
        return None
    return (f"nested virtualization is unavailable without KVM: {', '.join(wanted)} get an "
            f"emulated CPU ({TCG_MODEL} unless cpu_model names one) without vmx/svm")
