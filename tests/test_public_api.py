"""The package root re-exports a short public API, lazily."""

from __future__ import annotations

import subprocess
import sys

import hedgekit


def test_every_exported_name_resolves():
    for name in hedgekit.__all__:
        assert getattr(hedgekit, name) is not None, name


def test_unknown_name_is_an_attribute_error():
    try:
        hedgekit.no_such_thing  # noqa: B018
    except AttributeError as exc:
        assert "no_such_thing" in str(exc)
    else:
        raise AssertionError("expected AttributeError")


def test_import_is_light():
    # `hedgekit plan` must start fast: the root import pulls in none of the heavy libraries.
    code = ("import sys, hedgekit, hedgekit.cli; "
            "print(sorted(m for m in ('pandas', 'numba', 'ccxt', 'plotly', 'pyarrow') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
