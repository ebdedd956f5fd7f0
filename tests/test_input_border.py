"""The border of book and config files (issue 13): every bad file is one line, exit code 2,
fast, whatever its size, encoding, nesting or aliases; YAML 1.1 surprises are refused."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hedgekit._validation import MAX_FILE_BYTES, read_yaml
from hedgekit._yaml import MAX_ALIAS_EXPANSION, MAX_DEPTH, YamlRefused, load
from hedgekit.errors import InputError
from hedgekit.portfolio import load_portfolio

BOOK = "prices: {BTC: 65000}\nholdings:\n  - {asset: BTC, amount: AMOUNT}\n"


@pytest.fixture(autouse=True)
def _empty_data_store(monkeypatch, tmp_path_factory):
    monkeypatch.setenv("HEDGEKIT_DATA_DIR", str(tmp_path_factory.mktemp("store")))


def _book(tmp_path: Path, amount: str, name: str = "book.yaml") -> Path:
    path = tmp_path / name
    path.write_text(BOOK.replace("AMOUNT", amount), encoding="utf-8")
    return path


def _one_error_line(run_cli, *args: str) -> str:
    code, out, err = run_cli(*args)
    assert code == 2, (out, err)
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    return lines[0]


# ------------------------------------------------------------------ YAML 1.1 surprises
@pytest.mark.parametrize(("written", "problem"), [
    ("1:30", "must be a finite number (got '1:30')"),  # YAML 1.1: sexagesimal 90
    ("true", "must be a number, not true/false (got True)"),  # pydantic: 1.0
    ("yes", "must be a finite number (got 'yes')"),  # YAML 1.1: a boolean
])
def test_yaml_11_numbers_are_refused_where_a_number_is_expected(tmp_path, written, problem):
    with pytest.raises(InputError) as info:
        load_portfolio(_book(tmp_path, written))
    assert str(info.value) == f"holdings[0].amount: {problem}"


def test_yaml_12_core_numbers_are_read():
    # https://yaml.org/spec/1.2.2/#1032-tag-resolution: the core schema's ints and floats
    doc = load("a: 0x1F\nb: 0o17\nc: 1e3\nd: -.inf\ne: 017\nf: null\ng: True\nh: '1.5'")
    assert doc == {"a": 31, "b": 15, "c": 1000.0, "d": float("-inf"), "e": 17, "f": None, "g": True,
                   "h": "1.5"}
    assert load("when: 2021-02-30") == {"when": "2021-02-30"}  # no YAML 1.1 timestamps


def test_duplicate_keys_are_refused_naming_key_and_lines():
    with pytest.raises(YamlRefused) as info:
        load("hedge:\n  ratio: 0.5\n  leverage: 2\n  ratio: 1\n")
    assert str(info.value) == "line 4, column 3: duplicate key 'ratio' (first at line 2)"


def test_merge_keys_still_work_and_explicit_keys_win():
    doc = load("base: &b {venue: okx, symbol: BTC-USDT-SWAP}\nleg:\n  <<: *b\n  symbol: X\n")
    assert doc["leg"] == {"venue": "okx", "symbol": "X"}


# ------------------------------------------------------------------ bounded work
def _laughs(levels: int) -> str:
    text = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    for i in range(levels):
        prev, cur = chr(97 + i), chr(98 + i)
        text += f"{cur}: &{cur} [" + ",".join([f"*{prev}"] * 9) + "]\n"
    return text


def test_billion_laughs_fails_fast_on_one_line(tmp_path, run_cli):
    path = tmp_path / "bomb.yaml"
    path.write_text(_laughs(9))  # 9^10 values once expanded, 600 bytes on disk
    t0 = time.perf_counter()
    line = _one_error_line(run_cli, "plan", str(path))
    assert time.perf_counter() - t0 < 2
    assert f"aliases expand the document by more than {MAX_ALIAS_EXPANSION:,} values" in line


def test_aliases_below_the_limit_are_fine():
    # 9 + 81 + 729 values through aliases: well inside the budget
    doc = load(_laughs(2))
    assert len(doc["c"]) == 9 and doc["c"][0] is doc["b"]


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 5000])
def test_deep_nesting_is_one_line(tmp_path, run_cli, depth):
    path = tmp_path / "deep.yaml"
    path.write_text("holdings: " + "[" * depth + "]" * depth + "\n")
    line = _one_error_line(run_cli, "plan", str(path))
    assert "deep.yaml: invalid YAML at line 1" in line


def test_nesting_at_the_limit_parses():
    assert load("[" * MAX_DEPTH + "]" * MAX_DEPTH) is not None


def test_integer_with_thousands_of_digits_is_one_line(tmp_path, run_cli):
    # "  - {asset: BTC, amount: " is 25 characters: the number starts in column 26
    line = _one_error_line(run_cli, "plan", str(_book(tmp_path, "9" * 5000)))
    assert line == "error: book.yaml: invalid YAML at line 3, column 26: an integer of 5000 digits (at most 64)"


def test_impossible_date_is_one_line(tmp_path, run_cli):
    config = Path(__file__).resolve().parents[1] / "examples" / "backtest.yaml"
    path = tmp_path / "bt.yaml"
    path.write_text(config.read_text().replace("start: 2021-01-01", "start: 2021-02-30"))
    line = _one_error_line(run_cli, "backtest", str(path))
    assert line.startswith("error: start: ") and "2021-02-30" in line


def test_file_size_is_capped(tmp_path, run_cli):
    path = tmp_path / "big.yaml"
    with path.open("wb") as fh:
        fh.write(b"# " + b"x" * MAX_FILE_BYTES + b"\n")
    line = _one_error_line(run_cli, "plan", str(path))
    assert "the limit is 10 MB" in line


@pytest.mark.parametrize("special", ["/dev/zero", "folder"])
def test_only_regular_files_are_read(tmp_path, run_cli, special):
    target = special if special.startswith("/") else str(tmp_path)
    if not os.path.exists(target):
        pytest.skip(f"{target} does not exist here")
    line = _one_error_line(run_cli, "plan", target)
    assert line.startswith("error: PORTFOLIO: cannot read file: ")


# ------------------------------------------------------------------ encodings
@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16", "utf-16-be", "utf-32"])
def test_byte_order_marked_files_from_excel_and_windows_are_read(tmp_path, encoding):
    text = BOOK.replace("AMOUNT", "2.5")
    path = tmp_path / "book.yaml"
    data = text.encode(encoding)
    if encoding == "utf-16-be":
        data = b"\xfe\xff" + data  # the codec itself writes no mark
    path.write_bytes(data)
    assert load_portfolio(path).holdings[0].amount == 2.5


@pytest.mark.parametrize(("data", "reason"), [
    (BOOK.replace("BTC", "BTCé").encode("latin-1"), "not UTF-8 text (byte 0xe9 on line 1"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary data, not text"),
])
def test_other_encodings_and_binary_are_one_line(tmp_path, run_cli, data, reason):
    path = tmp_path / "book.yaml"
    path.write_bytes(data)
    assert reason in _one_error_line(run_cli, "plan", str(path))


# ------------------------------------------------------------------ echoes and terminals
def test_echoed_values_are_truncated(tmp_path, run_cli):
    line = _one_error_line(run_cli, "plan", str(_book(tmp_path, "x" * 100_000)))
    assert line.startswith("error: holdings[0].amount: must be a finite number (got 'xxx")
    assert len(line) < 200 and line.endswith("…)")


def test_escape_sequences_in_values_are_refused(tmp_path, run_cli):
    path = tmp_path / "book.yaml"
    path.write_text('prices: {BTC: 1}\nholdings:\n  - {asset: "B\\e[2JTC", amount: 1}\n')
    line = _one_error_line(run_cli, "plan", str(path))
    assert "\x1b" not in line and "control character '\\x1b' in a value" in line


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=300) | st.text(alphabet="[]{}:&*!|>-,'\"\n #01a.\\e", max_size=200).map(str.encode))
def test_any_bytes_are_a_document_or_one_input_error(tmp_path, data):
    path = tmp_path / "any.yaml"
    path.write_bytes(data)
    try:
        read_yaml(path, "PORTFOLIO")
    except InputError as exc:
        assert "\n" not in str(exc)
