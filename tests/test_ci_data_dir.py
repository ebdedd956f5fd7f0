"""The ``data_dir`` fixture: a missing shared data dir skips locally and fails under CI."""

from __future__ import annotations

from pathlib import Path

import pytest

CONFTEST = Path(__file__).with_name("conftest.py")
TESTS = '''
def test_reads_market_data(data_dir):
    assert data_dir.exists()

def test_pure_math():
    assert 1 + 1 == 2
'''


@pytest.fixture
def suite(pytester, monkeypatch, tmp_path):
    """A two-test suite using this repository's conftest, with the data dir pointing nowhere."""
    pytester.makeconftest(CONFTEST.read_text())
    pytester.makepyfile(test_suite=TESTS)
    monkeypatch.setenv("HEDGEKIT_TEST_DATA", str(tmp_path / "no-such-dir"))
    return pytester


@pytest.mark.parametrize("ci", ["true", "1", "yes"])
def test_missing_data_fails_under_ci(suite, monkeypatch, ci):
    monkeypatch.setenv("CI", ci)
    result = suite.runpytest("-rs")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*shared market data not found at*CI must run the tests that read it*"])
    result.stdout.no_fnmatch_line("*SKIPPED*")


@pytest.mark.parametrize("ci", [None, "", "false", "0"])
def test_missing_data_skips_outside_ci(suite, monkeypatch, ci):
    if ci is None:
        monkeypatch.delenv("CI", raising=False)
    else:
        monkeypatch.setenv("CI", ci)
    result = suite.runpytest("-rs")
    result.assert_outcomes(passed=1, skipped=1)
    result.stdout.fnmatch_lines(["SKIPPED*shared market data not found at*"])


def test_present_data_dir_is_returned(suite, monkeypatch, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "PROVENANCE.md").write_text("where the files come from\n")
    monkeypatch.setenv("HEDGEKIT_TEST_DATA", str(data))
    monkeypatch.setenv("CI", "true")
    suite.runpytest().assert_outcomes(passed=2)
