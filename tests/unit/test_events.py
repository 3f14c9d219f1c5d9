"""Phase events: the JSON-lines file, the in-process phase times, the end-of-up table."""
import json
import threading

import pytest

from lago import events, log, parallel
from lago.commands.up import phase_table


@pytest.fixture
def sink(tmp_path):
    path = tmp_path / "events.jsonl"
    events.reset()
    events.open_file(str(path))
    yield path
    events.close()
    events.reset()


def lines(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_a_phase_step_writes_start_and_end_with_its_duration(sink):
    with log.step("Start VM %s", "vm0", vm="vm0", phase="boot"):
        pass
    start, end = lines(sink)
    assert set(start) == {"ts", "event", "vm", "phase", "seconds"}
    assert (start["event"], start["vm"], start["phase"], start["seconds"]) == \
        ("start", "vm0", "boot", None)
    assert (end["event"], end["vm"], end["phase"]) == ("end", "vm0", "boot")
    assert end["seconds"] >= 0 and end["ts"] >= start["ts"]
    assert events.times() == {"vm0": {"boot": end["seconds"]}}


def test_a_failing_phase_writes_fail_and_is_not_counted_as_done(sink):
    with pytest.raises(RuntimeError):
        with events.timed("ssh-ready", "vm1"):
            raise RuntimeError("boom")
    assert [e["event"] for e in lines(sink)] == ["start", "fail"]
    assert events.times() == {}


def test_a_step_without_phase_writes_nothing(sink):
    with log.step("Create ssh key"):
        pass
    assert sink.read_text() == ""


def test_parallel_vms_write_whole_lines_and_env_wide_phases_have_no_vm(sink):
    names = [f"vm{i}" for i in range(16)]
    with events.timed("lease"):
        pass
    parallel.each(names, _phase)
    got = lines(sink)
    assert len(got) == 2 + 2 * 16
    assert got[0]["vm"] is None and got[0]["phase"] == "lease"
    assert {e["vm"] for e in got[2:]} == set(names)
    assert set(events.times()) == set(names) | {""}


def _phase(vm):
    with events.timed("define", vm):
        threading.Event().wait(0.001)


def test_no_file_means_times_only(tmp_path):
    events.reset()
    with events.timed("boot", "a"):
        pass
    assert list(events.times()["a"]) == ["boot"]
    events.reset()
    assert events.times() == {}


def test_phase_table_has_a_column_per_phase_seen_in_lifecycle_order():
    table = phase_table({"": {"network": 0.2, "lease": 0.01},
                         "b": {"ssh-ready": 4.1, "boot": 0.3, "overlay": 0.02},
                         "a": {"overlay": 0.02, "deployed": 1.5}})
    head = table[0].split()
    assert head == ["vm", "overlay", "boot", "ssh-ready", "deployed"]
    assert table[1].split() == ["a", "0.02s", "-", "-", "1.50s"]
    assert table[2].split() == ["b", "0.02s", "0.30s", "4.10s", "-"]
    assert table[3] == "  env-wide: lease 0.01s, network 0.20s"
    assert phase_table({}) == [] and phase_table({"": {"lease": 1.0}}) == []
