"""make test's split of the test files into lab shards (tests/lab/shards.py)."""
import importlib.util
import os

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
_spec = importlib.util.spec_from_file_location(
    "lab_shards", os.path.join(ROOT, "tests", "lab", "shards.py"))
shards = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(shards)


@pytest.mark.parametrize("n", [1, 2, 3, 5, 40])
def test_every_lab_file_and_the_unit_tests_land_in_exactly_one_shard(n):
    items = shards.test_items()
    labs = sorted(os.path.relpath(os.path.join(ROOT, "tests", "lab", f), ROOT)
                  for f in os.listdir(os.path.join(ROOT, "tests", "lab"))
                  if f.startswith("test_") and f.endswith(".py"))
    assert len(labs) >= 10 and sorted(items) == sorted(["tests/unit"] + labs)
    groups = shards.split(items, n, shards.SECONDS)
    placed = [item for group in groups for item in group]
    assert sorted(placed) == sorted(items)  # each once: no loss, no duplicate
    assert len(groups) == min(n, len(items)) and all(groups)


def test_the_seconds_table_names_only_files_that_exist():
    stale = [name for name in shards.SECONDS if not os.path.exists(os.path.join(ROOT, name))]
    assert stale == []


def test_split_is_longest_first_to_the_least_loaded_shard():
    seconds = {"a": 10, "b": 6, "c": 5, "d": 4}
    assert shards.split(["d", "c", "b", "a"], 2, seconds) == [["a", "d"], ["b", "c"]]
    # Two shards of a 2:1:1 load: the big file alone, the two others together.
    assert shards.split(["x", "y", "z"], 2, {"x": 8, "y": 4, "z": 4}) == [["x"], ["y", "z"]]


def test_a_file_the_table_does_not_know_counts_the_default():
    groups = shards.split(["new1", "new2", "known"], 2, {"known": 100}, default=30)
    assert groups == [["known"], ["new1", "new2"]]
    groups = shards.split(["new1", "new2", "known"], 2, {"known": 100}, default=200)
    assert groups == [["new1", "known"], ["new2"]]


def test_zero_shards_is_refused():
    with pytest.raises(ValueError):
        shards.split(["a"], 0, {})


def test_pytests_final_line_is_read_into_counts():
    log = "....F.\n===== 1 failed, 650 passed, 1 warning in 700.12s (0:11:40) =====\n"
    assert shards.outcome(log) == {"failed": 1, "passed": 650, "warning": 1}
    assert shards.outcome("12 passed in 3.10s\n") == {"passed": 12}
    assert shards.outcome("lab: libvirtd exited\n") == {}


@pytest.mark.parametrize("rc,log,failed", [
    (0, "660 passed, 1 warning in 1380.24s (0:23:00)\n", False),
    (1, "1 failed, 5 passed in 20.00s\n", True),
    (5, "no tests ran in 0.01s\n", True),
    (0, "no tests ran in 0.01s\n", True),          # exit 0 without a test is still a failure
    (0, "", True),                                 # the lab never started pytest
    (3, "lab: a libvirtd not started by the lab already answers\n", True),
])
def test_a_shard_fails_on_a_failed_test_or_when_it_ran_none(rc, log, failed):
    assert shards.shard_failed(rc, log) is failed


def test_seconds_per_file_add_up_from_the_junit_report(tmp_path):
    report = tmp_path / "r.xml"
    report.write_text(
        '<testsuites><testsuite name="pytest">'
        '<testcase classname="tests.lab.test_day2_lab" name="test_a" time="10.5"/>'
        '<testcase classname="tests.lab.test_day2_lab" name="test_b[1]" time="2.0"/>'
        '<testcase classname="tests.unit.test_xmlgen" name="test_c" time="0.25"/>'
        '<testcase classname="tests.unit.test_cli.TestX" name="test_d" time="0.75"/>'
        '</testsuite></testsuites>')
    assert shards.file_seconds(str(report)) == {"tests/lab/test_day2_lab.py": 12.5,
                                                "tests/unit": 1.0}


def test_each_shard_runs_its_own_lab_with_its_files(tmp_path):
    argv = shards.shard_argv("lab-2", ["tests/lab/test_a.py", "tests/unit"], "/x/s.xml", ["-x"])
    assert argv[:5] == ["bash", os.path.join(ROOT, "tests", "lab", "lab.sh"), "run", "lab-2", "--"]
    assert argv[-3:] == ["-x", "tests/lab/test_a.py", "tests/unit"]
    assert "--junitxml=/x/s.xml" in argv and "--durations=12" in argv


def test_the_unit_tests_come_first_in_their_shard():
    # pytest keeps the last directory's conftest as 'conftest'; the lab tests import from it.
    for n in (1, 2, 3):
        for group in shards.split(shards.test_items(), n, shards.SECONDS):
            assert "tests/unit" not in group[1:]
