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


def test_import_output_shows_paths_with_markup_as_written(tmp_path, run_cli):
    # the folder "[" and the file "]..." make the path contain "[/]", which rich read as a closing tag
    folder = tmp_path / "["
    folder.mkdir()
    rows = "".join(f"{1_640_995_200_000 + i * 86_400_000},100,110,90,105,1,0\n" for i in range(5))
    path = folder / "]BTCUSDT-1d-2022-01.csv"
    path.write_text("open_time,open,high,low,close,volume,close_time\n" + rows)
    code, out, err = run_cli("data", "import", str(path), "--data-dir", str(tmp_path / "store"))
    assert code == 0, err
    assert f"imported {path} [binance-kline-csv]" in out


class _Terminal:
    """A stderr that says it is a terminal and records what is written to it."""

    def __init__(self):
        self.text = ""

    def isatty(self):
        return True

    def write(self, s):
        self.text += s
        return len(s)

    def flush(self):
        pass


def test_spinner_only_on_a_terminal_and_only_past_the_delay(monkeypatch):
    import time

    from hedgekit.cli._output import working

    fake = _Terminal()
    monkeypatch.setattr(sys, "stderr", fake)
    with working("planning", after=0.05):
        time.sleep(0.5)
    assert "planning" in fake.text
    fake.text = ""
    with working("planning", after=5):
        pass  # quick: nothing shown
    assert fake.text == ""


def test_import_reports_progress_per_file(tmp_path):
    from hedgekit.data import Store, import_path

    rows = "".join(f"{1_640_995_200_000 + i * 86_400_000},100,110,90,105,1,0\n" for i in range(5))
    for coin in ("BTC", "ETH", "SOL"):
        (tmp_path / f"{coin}USDT-1d-2022-01.csv").write_text("open_time,open,high,low,close,volume,close_time\n" + rows)
    calls = []
    import_path(tmp_path, store=Store(tmp_path / ".store"), progress=lambda done, total: calls.append((done, total)))
    assert calls == [(1, 3), (2, 3), (3, 3)]
