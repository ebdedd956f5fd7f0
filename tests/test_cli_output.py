"""What the CLI prints (issue 13): user text is never read as rich markup nor sent raw to the
terminal, help shows flags as flags, a closed pipe is a quiet exit."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from hedgekit.cli._output import visible

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "portfolio.yaml"
CALC = ["calc", "pnl", "--type", "linear", "--side", "long", "--contracts", "2", "--contract-size", "1",
        "--entry", "100", "--exit", "110"]


@pytest.fixture(autouse=True)
def _empty_data_store(monkeypatch, tmp_path_factory):
    monkeypatch.setenv("HEDGEKIT_DATA_DIR", str(tmp_path_factory.mktemp("store")))


def test_visible_writes_control_characters_out():
    assert visible("a\x1b[2Jb\rc\td\ne\x9b") == "a\\x1b[2Jb\\x0dc\td\ne\\x9b"


@pytest.mark.parametrize("name", ["[/]", "[bold]B[/bold]", "X[/red]"])
def test_markup_in_a_name_is_printed_as_written(tmp_path, run_cli, name):
    book = tmp_path / "book.yaml"
    book.write_text(f'prices: {{BTC: 60000, "{name}": 2}}\nholdings:\n  - {{asset: BTC, amount: 1}}\n'
                    f'  - {{asset: "{name}", amount: 10}}\n')
    code, out, err = run_cli("plan", str(book))
    assert code == 0, err
    assert name.upper() in out
    code, out, err = run_cli("scenario", str(book))
    assert code == 0, err


def test_calc_base_with_markup_and_escape_sequences(run_cli):
    code, out, err = run_cli(*CALC, "--base", "[/]")
    assert code == 0, err
    code, out, err = run_cli(*CALC, "--base", "\x1b[2J", "--settle", "U\x1b[31mSD")
    assert code == 0, err
    assert "\x1b" not in out and "U\\x1b[31mSD" in out


def test_error_lines_show_escape_sequences_escaped(run_cli):
    code, _, err = run_cli("calc", "pnl", "--type", "\x1b[2Jlinear")
    assert code == 2
    assert "\x1b" not in err and "\\x1b[2Jlinear" in err and err.count("\n") == 1


def test_missing_choice_option_is_one_line(run_cli):
    code, _, err = run_cli("calc", "pnl", "--side", "long")
    assert code == 2
    assert err == ("error: Missing option '--type': one of linear, inverse, quanto. "
                   "(see 'hedgekit calc pnl --help')\n")


def test_version_flag(run_cli):
    from hedgekit import __version__

    code, out, _ = run_cli("--version")
    assert (code, out) == (0, f"{__version__}\n")


def test_help_shows_flags_as_flags_and_arguments_by_name(run_cli):
    code, out, _ = run_cli("plan", "--help")
    assert code == 0
    assert "<bool>" not in out
    assert "Usage: hedgekit plan [OPTIONS] PORTFOLIO" in out
    code, out, _ = run_cli("data", "import", "--help")
    assert "PATHS..." in out and "{paths}" not in out


def test_format_help_lists_every_format(run_cli):
    from hedgekit.cli.data import FORMAT_NAMES
    from hedgekit.data.importers import FORMATS

    assert FORMAT_NAMES == tuple(FORMATS)
    _, out, _ = run_cli("data", "import", "--help")
    flat = " ".join(out.replace("│", " ").split())
    for name in FORMATS:
        assert name in flat


def test_closed_pipe_exits_quietly():
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    for args in (["plan", str(EXAMPLE)], ["plan", str(EXAMPLE), "--json"]):
        proc = subprocess.Popen([sys.executable, "-m", "hedgekit", *args], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, env=env)
        proc.stdout.readline()
        proc.stdout.close()  # what `| head -1` does
        err = proc.stderr.read()
        proc.stderr.close()
        assert proc.wait(timeout=60) == 0, err
        assert b"Traceback" not in err and b"Error" not in err
