import os

import pytest

GOLDEN = os.path.join(os.path.dirname(os.path.abspath(__file__)), "golden")


@pytest.fixture
def golden(request):
    """golden(name, text): compare text with golden/NAME, or rewrite it under --regen."""
    regen = request.config.getoption("--regen")

    def check(name, text):
        path = os.path.join(GOLDEN, name)
        if regen or not os.path.exists(path):
            if not regen:
                pytest.fail(f"golden file {name} is missing; run pytest --regen and review it")
            with open(path, "w", encoding="utf-8") as fh:
                fh.write(text)
            return
        with open(path, encoding="utf-8") as fh:
            expected = fh.read()
        assert text == expected, f"{name} differs from its golden file (pytest --regen to update)"
    return check


@pytest.fixture
def here(tmp_path, monkeypatch):
    """A clean current directory for the command line: a stand-in base.qcow2, no LAGO_*
    variables and no user config from the machine running the tests."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "base.qcow2").write_text("x")
    for var in list(os.environ):
        if var.startswith("LAGO_"):
            monkeypatch.delenv(var)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    return tmp_path
