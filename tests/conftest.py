"""Shared test fixtures.

Real market data is read from ``../shared/data`` beside the repository root, or from the
directory named by ``HEDGEKIT_TEST_DATA``. Tests never touch the network. Only tests that read
those files request the ``data_dir`` fixture. Without the data a local run skips them; under
CI (``CI`` set to anything but empty/0/false/no) a missing data dir fails them instead, so a
CI log can never pass on silently skipped tests.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]  # tests/test_ci_data_dir.py runs pytest on this conftest

REPO_ROOT = Path(__file__).resolve().parents[1]


def shared_data_dir() -> Path:
    env = os.environ.get("HEDGEKIT_TEST_DATA")
    return Path(env) if env else (REPO_ROOT.parent / "shared" / "data")


def running_in_ci() -> bool:
    """True when the ``CI`` variable is set to a true-ish value (GitHub, GitLab etc. set ``true``)."""
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


@pytest.fixture(scope="session")
def data_dir() -> Path:
    path = shared_data_dir()
    if not (path / "PROVENANCE.md").exists():
        message = f"shared market data not found at {path} (set HEDGEKIT_TEST_DATA)"
        if running_in_ci():
            pytest.fail(f"{message}; CI must run the tests that read it", pytrace=False)
        pytest.skip(message)
    return path


@pytest.fixture
def run_cli(capsys):
    """Run the CLI in-process: returns (exit_code, stdout, stderr)."""
    from hedgekit.cli import main

    def _run(*args: str) -> tuple[int, str, str]:
        code = main(list(args))
        out = capsys.readouterr()
        return code, out.out, out.err

    return _run


@pytest.fixture(autouse=True, scope="session")
def _private_kernel_cache(tmp_path_factory):
    """Tests run the numba JIT kernels, never an ahead-of-time build left in the user's cache
    by `hedgekit selftest` (tests/test_backtest_startup.py builds its own)."""
    old = os.environ.get("HEDGEKIT_CACHE_DIR")
    os.environ["HEDGEKIT_CACHE_DIR"] = str(tmp_path_factory.mktemp("kernel-cache"))
    yield
    if old is None:
        os.environ.pop("HEDGEKIT_CACHE_DIR", None)
    else:
        os.environ["HEDGEKIT_CACHE_DIR"] = old
