"""Shared test fixtures.

Real market data is read from ``../shared/data`` beside the repository root, or from the
directory named by ``HEDGEKIT_TEST_DATA``. Tests never touch the network.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]


def shared_data_dir() -> Path:
    env = os.environ.get("HEDGEKIT_TEST_DATA")
    return Path(env) if env else (REPO_ROOT.parent / "shared" / "data")


@pytest.fixture(scope="session")
def data_dir() -> Path:
    path = shared_data_dir()
    if not (path / "PROVENANCE.md").exists():
        pytest.skip(f"shared market data not found at {path} (set HEDGEKIT_TEST_DATA)")
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
