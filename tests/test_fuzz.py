"""The seeded fuzzer of scripts/fuzz.py on a small budget (issue 13): mutated books, configs,
calc flags and import files end in exit 0 or 2, never a traceback. The large run is
``python scripts/fuzz.py --budget 5000``."""

from __future__ import annotations

import importlib.util
import random
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "fuzz.py"


@pytest.fixture(scope="module")
def fuzz():
    spec = importlib.util.spec_from_file_location("hedgekit_fuzz", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    yield module
    sys.modules.pop(spec.name, None)


def test_small_budget_finds_nothing(fuzz, monkeypatch, tmp_path):
    monkeypatch.setenv("HEDGEKIT_DATA_DIR", str(tmp_path))
    lines: list[str] = []
    findings = fuzz.fuzz(60, seed=20261202, log=lines.append, engine=False)
    assert not findings, "\n".join(f.describe() for f in findings)
    assert lines[-2].startswith("60 cases, seed 20261202: 0 findings")


def test_the_fuzzer_reports_a_broken_promise(fuzz, tmp_path):
    """A command that raises, or exits 1, or prints two lines, is a finding (the check itself
    can fail)."""
    from hedgekit import cli

    def boom(argv):
        raise ZeroDivisionError("x")
    real = cli.main
    try:
        cli.main = boom
        found = fuzz.run_case(fuzz.Case("calc", ["calc"]), tmp_path)
        assert found is not None and found.problem == "traceback"
        cli.main = lambda argv: 1
        assert fuzz.run_case(fuzz.Case("calc", ["calc"]), tmp_path).problem == "exit 1"

        def two_lines(argv):
            import sys
            print("error: a\nb", file=sys.stderr)
            return 2
        cli.main = two_lines
        assert fuzz.run_case(fuzz.Case("calc", ["calc"]), tmp_path).problem == "not one error line"
    finally:
        cli.main = real


def test_mutations_are_seeded(fuzz):
    seeds = {"portfolio": fuzz._portfolio_seed(), "backtest": fuzz._backtest_seed()}
    a = [fuzz.gen_plan(random.Random(5), seeds).files["book.yaml"] for _ in range(1)]
    b = [fuzz.gen_plan(random.Random(5), seeds).files["book.yaml"] for _ in range(1)]
    assert a == b
