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
