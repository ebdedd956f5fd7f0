"""Portfolio files and backtest configs report the same mistake in the same words (issue 9):
one translator of pydantic errors, one YAML reader."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from hedgekit.backtest.config import load_config, parse_config
from hedgekit.errors import InputError
from hedgekit.portfolio import load_portfolio, parse_portfolio

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "backtest.yaml"
BTC = {"asset": "BTC", "amount": 1}


def _config(change) -> dict:
    data = yaml.safe_load(EXAMPLE.read_text())
    change(data)
    return data


def _raised(parse, doc) -> InputError:
    with pytest.raises(InputError) as info:
        parse(doc)
    return info.value


_DELETE = object()


def _set(path: tuple, value=_DELETE):
    """A change to the example config: set (or delete) the entry at ``path``."""
    def change(data):
        *parents, last = path
        for key in parents:
            data = data[key]
        if value is _DELETE:
            del data[last]
        else:
            data[last] = value
    return change


# (portfolio document, expected text) and (config change, expected text) for one kind of mistake
@pytest.mark.parametrize(("portfolio", "portfolio_text", "config", "config_text"), [
    ({"holdings": [BTC], "hedge": {"ratio": -0.5}}, "hedge.ratio: must be >= 0 (got -0.5)",
     _set(("policies", 1, "ratio"), -0.5), "policies[1].ratio: must be >= 0 (got -0.5)"),
    ({"holdings": [BTC], "hedge": {"max_share_per_venue": 6}},
     "hedge.max_share_per_venue: must be <= 1 (got 6)",
     _set(("policies", 1, "ratio"), 6), "policies[1].ratio: must be <= 5 (got 6)"),
    ({"holdings": [BTC], "hedge": {"leverage": 0}}, "hedge.leverage: must be > 0 (got 0)",
     _set(("assets", 0, "coins"), 0), "assets[0].coins: must be > 0 (got 0)"),
    ({"holdings": [{**BTC, "colour": "red"}]}, "holdings[0].colour: unknown field (got 'red')",
     _set(("assets", 0, "colour"), "red"), "assets[0].colour: unknown field (got 'red')"),
    ({"holdings": [{"asset": "BTC"}]}, "holdings[0].amount: is required",
     _set(("assets", 0, "coins")), "assets[0].coins: is required"),
    ({"holdings": [{"asset": "BTC", "amount": "ten"}]},
     "holdings[0].amount: must be a finite number (got 'ten')",
     _set(("assets", 0, "coins"), "ten"), "assets[0].coins: must be a finite number (got 'ten')"),
    ({"holdings": [BTC], "hedge": {"method": "ols"}},
     "hedge.method: must be one of notional, beta, minvar or downside-beta (got 'ols')",
     _set(("freq",), "2d"), "freq: must be one of 1d, 8h, 4h or 1h (got '2d')"),
])
def test_same_mistake_same_words(portfolio, portfolio_text, config, config_text):
    p = _raised(parse_portfolio, portfolio)
    c = _raised(parse_config, _config(config))
    assert str(p) == portfolio_text
    assert str(c) == config_text


def test_broken_yaml_reads_the_same_in_both(tmp_path):
    broken = "holdings:\n  - {asset: BTC, amount: 1\n"
    (tmp_path / "a.yaml").write_text(broken, encoding="utf-8")
    p = _raised(load_portfolio, tmp_path / "a.yaml")
    c = _raised(load_config, tmp_path / "a.yaml")
    assert str(p) == str(c)
    assert str(p).startswith("a.yaml: invalid YAML at line 3, column 1: ") and "\n" not in str(p)
    assert (str(_raised(load_portfolio, tmp_path / "nope.yaml")).removeprefix("PORTFOLIO")
            == str(_raised(load_config, tmp_path / "nope.yaml")).removeprefix("CONFIG"))
