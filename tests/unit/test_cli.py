"""The command line without a host: exit codes, messages, and nothing created on bad input."""
import argparse
import json
import os

import pytest

from lago import cli
from lago.commands import status as status_cmd

GOOD = """
nets: {lan: {}}
domains:
  vm0:
    provision: none
    root-password: s3cret-pw
    nics: [{net: lan}]
    disks: [{type: file, path: base.qcow2}]
"""


def test_validate_good_file_exits_0(here, capsys):
    (here / "env.yaml").write_text(GOOD)
    assert cli.main(["validate", "env.yaml"]) == 0
    assert "valid" in capsys.readouterr().out


def test_validate_json_never_shows_passwords(here, capsys):
    (here / "env.yaml").write_text(GOOD)
    assert cli.main(["validate", "env.yaml", "--json"]) == 0
    out = capsys.readouterr().out
    assert json.loads(out)["valid"] is True
    assert "s3cret-pw" not in out


@pytest.mark.parametrize("verb", ["up", "init", "validate"])
def test_bad_file_exits_2_with_one_located_line_and_creates_nothing(here, capsys, verb):
    (here / "env.yaml").write_text(GOOD.replace("net: lan", "net: wan"))
    assert cli.main([verb, "env.yaml"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert "env.yaml:7: domains.vm0.nics[0].net: unknown net 'wan'" in err[0]
    assert not (here / ".lago").exists()


def test_missing_environment_is_exit_2_with_a_hint(here, capsys):
    assert cli.main(["status"]) == 2
    err = capsys.readouterr().err
    assert "no environment" in err and "lago.pyz up" in err


def test_unknown_verb_and_bad_options_are_exit_2(here):
    with pytest.raises(SystemExit) as info:
        cli.main(["frobnicate"])
    assert info.value.code == 2


def test_global_options_work_after_the_verb(here, capsys):
    assert cli.main(["list", "--json", "-w", str(here / "elsewhere")]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["workdir"] == str(here / "elsewhere") and data["prefixes"] == []


def test_destroy_without_terminal_needs_yes(here, capsys, monkeypatch):
    (here / ".lago" / "default").mkdir(parents=True)
    os.symlink("default", here / ".lago" / "current")
    monkeypatch.setattr("sys.stdin", open(os.devnull))
    assert cli.main(["destroy"]) == 2
    assert "-y" in capsys.readouterr().err


def test_status_text_matches_golden(golden):
    data = {"schema": 1, "prefix": "default", "path": "/w/.lago/default", "uuid": "u-1",
            "env_file": "/w/env.yaml", "domain_type": "qemu",
            "nets": {"lan": {"type": "nat", "subnet": "192.168.200.0/24", "gw": "192.168.200.1",
                             "bridge": "lagoabcdef01n0", "libvirt_name": "lago-abcdef01-lan",
                             "state": "up"}},
            "vms": {"web": {"state": "running", "ip": "192.168.200.2", "distro": None,
                            "libvirt_name": "lago-abcdef01-web", "snapshots": [],
                            "nics": [{"dev": "eth0", "net": "lan", "ip": "192.168.200.2",
                                      "mac": "54:52:c0:a8:c8:02"}]},
                    "db": {"state": "shut off", "ip": "192.168.200.3", "distro": "tiny",
                           "libvirt_name": "lago-abcdef01-db", "snapshots": [],
                           "nics": [{"dev": "eth0", "net": "lan", "ip": "192.168.200.3",
                                     "mac": "54:52:c0:a8:c8:03"}]}}}
    golden("status.txt", "\n".join(status_cmd.render(data)) + "\n")


def test_config_shows_where_values_come_from(here, capsys, monkeypatch):
    monkeypatch.setenv("LAGO_SUBNET_POOL", "10.9.0.0/16")
    assert cli.main(["config", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["subnet_pool"] == {"value": "10.9.0.0/16", "from": "environment"}
    assert data["libvirt_url"]["from"] == "default"


def test_the_verb_table_names_every_command_of_every_module_and_nothing_else():
    declared = {name: cmd_module for cmd_module in cli.MODULES
                for cmd in cli.commands((cmd_module,))
                for name in (cmd.name, *cmd.aliases)}
    assert declared == cli.VERBS
    # the same verbs, aliases and order as the modules register them
    registered = [(cmd.name, mod, cmd.aliases) for mod in cli.MODULES
                  for cmd in cli.commands((mod,))]
    assert registered == [(verb, mod, aliases) for verb, mod, aliases, _ in cli.TABLE]
    assert all(text.strip() for *_, text in cli.TABLE)


def test_help_lists_every_verb_without_importing_a_command_module(capsys):
    import sys

    for mod in cli.MODULES:
        sys.modules.pop(f"lago.commands.{mod}", None)
    with pytest.raises(SystemExit) as info:
        cli.main(["--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    for verb, _, aliases, text in cli.TABLE:
        assert verb in out and all(a in out for a in aliases)
        assert " ".join(text.split()[:4]) in " ".join(out.split())
    assert not [m for m in cli.MODULES if f"lago.commands.{m}" in sys.modules]


def test_a_verb_modules_for_did_not_find_still_gets_its_own_parser(here, capsys):
    # '-qw DIR': -w's value hides in a bundle of short options; the verb is then parsed again.
    assert cli.modules_for(["-qw", str(here), "list", "--json"]) == ()
    assert cli.main(["-qw", str(here / "elsewhere"), "list", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["current"] is None


@pytest.mark.parametrize("verb,name,option", [
    ("up", "up", "--ssh-key"), ("ssh", "ssh", "--script"), ("snapshot", "snapshot", "--delete"),
    ("shell", "ssh", "--script"), ("ansible_hosts", "ansible-inventory", "--prefix")])
def test_a_verbs_help_shows_its_own_options(verb, name, option, capsys):
    with pytest.raises(SystemExit) as info:
        cli.main([verb, "--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    assert f"usage: lago.pyz {name} " in out and option in out


@pytest.mark.parametrize("argv,modules", [
    (["--version"], ()),
    (["up", "env.yaml"], ("up",)),
    (["-w", "status", "status"], ("status",)),       # -w takes a value, even one named like a verb
    (["--workdir=/x", "-q", "revert", "s1"], ("snapshot",)),
    (["shell", "vm0"], ("ssh",)),
    (["--events", "f", "--json", "ansible_hosts"], ("inventory",)),
    (["--help"], ()), ([], ()), (["nosuchverb"], ()), (["-q", "-h", "up"], ()),
    (["--", "up"], None),
])
def test_a_run_imports_only_the_module_of_its_verb(argv, modules):
    assert cli.modules_for(argv) == (cli.MODULES if modules is None else modules)


def test_the_global_options_modules_for_knows_are_the_parsers():
    parser = argparse.ArgumentParser()
    cli._global_options(parser, suppress=False)
    valued = {o for a in parser._actions if a.nargs is None and a.option_strings
              and not isinstance(a, argparse._HelpAction) for o in a.option_strings}
    flags = {o for a in parser._actions if a.nargs == 0 and not isinstance(a, argparse._HelpAction)
             for o in a.option_strings}
    assert (cli._VALUED, cli._FLAGS) == (valued, flags)


def test_a_verb_after_an_option_modules_for_cannot_read_is_parsed_with_the_full_table():
    # '-qw status ssh vm0': the verb is ssh (status is -w's value); the first word that names a
    # verb is not trusted after an option bundle.
    argv = ["-qw", "status", "ssh", "vm0", "--", "true"]
    assert cli.modules_for(argv) == ()
    args, _ = cli.build_parser(cli.modules_for(argv)).parse_known_args(argv)
    assert (args.verb, args.workdir) == ("ssh", "status")


def test_a_verbs_parser_holds_its_own_verbs_only():
    sub = next(a for a in cli.build_parser(("snapshot",))._actions
               if isinstance(a, argparse._SubParsersAction))
    assert sorted(sub.choices) == ["revert", "snapshot"]
    full = next(a for a in cli.build_parser(())._actions
                if isinstance(a, argparse._SubParsersAction))
    assert set(full.choices) == set(cli.VERBS)


def test_service_verb_takes_status_start_or_stop_only(here, capsys):
    with pytest.raises(SystemExit) as info:
        cli.main(["service", "vm0", "ssh", "restart"])
    assert info.value.code == 2
    assert cli.main(["service", "vm0", "ssh", "status"]) == 2
    assert "no environment" in capsys.readouterr().err
    assert cli.main(["service", "vm0", "ssh", "status", "--container=-bad"]) == 2


@pytest.mark.parametrize("verb", ["up", "init"])
def test_a_missing_ssh_key_is_bad_input_and_creates_nothing(here, capsys, verb):
    (here / "env.yaml").write_text(GOOD)
    assert cli.main([verb, "env.yaml", "--ssh-key", "nokey"]) == 2
    err = capsys.readouterr().err
    assert "--ssh-key" in err and "nokey" in err
    assert not (here / ".lago").exists()


def test_the_public_key_is_derived_from_the_private_one_without_a_passphrase():
    from lago import ssh
    assert ssh.public_key_argv("/k/id") == ["ssh-keygen", "-y", "-P", "", "-f", "/k/id"]


def test_debug_shows_the_traceback_and_keeps_the_exit_code(here, capsys):
    assert cli.main(["--debug", "validate", "missing.yaml"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" in err and "missing.yaml" in err
