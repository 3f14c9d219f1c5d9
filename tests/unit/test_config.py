import pytest

from lago import config
from lago.errors import UsageError


def test_later_sources_win(tmp_path):
    etc = tmp_path / "etc.conf"
    etc.write_text("[lago]\nsubnet_pool = 10.0.0.0/16\nboot_timeout = 10\nlease_dir = /a\n")
    home = tmp_path / "home.conf"
    home.write_text("[lago]\nlease_dir = /b\n")
    cfg, origin = config.load({"libvirt_url": "qemu:///session"},
                              environ={"LAGO_BOOT_TIMEOUT": "99"}, files=[str(etc), str(home)])
    assert cfg.subnet_pool == "10.0.0.0/16" and origin["subnet_pool"] == str(etc)
    assert cfg.lease_dir == "/b" and origin["lease_dir"] == str(home)
    assert cfg.boot_timeout == 99.0 and origin["boot_timeout"] == "environment"
    assert cfg.libvirt_url == "qemu:///session" and origin["libvirt_url"] == "command line"
    assert origin["workdir"] == "default"


def test_unknown_key_and_bad_number_are_usage_errors(tmp_path):
    f = tmp_path / "c.conf"
    f.write_text("[lago]\nleas_dir = /x\n")
    with pytest.raises(UsageError, match="leas_dir"):
        config.load(environ={}, files=[str(f)])
    with pytest.raises(UsageError, match="number"):
        config.load(environ={"LAGO_SSH_TIMEOUT": "soon"}, files=[])


def test_secrets_are_masked_unless_asked():
    cfg, _ = config.load(environ={"LAGO_SSH_PASSWORD": "pw"}, files=[])
    assert config.as_dict(cfg)["ssh_password"] == "******"
    assert config.as_dict(cfg, show_secrets=True)["ssh_password"] == "pw"
