"""Quanto hedges in the backtest (BitMEX ETHUSD: a fixed amount of BTC per USD point of ETH).

Payoff of a quanto short (BitMEX quanto guide, https://www.bitmex.com/app/quantoPerpetualsGuide):
``-n * M * (exit - entry)`` BTC, with ``M`` BTC per USD point per contract; its USD value moves
with the BTC price as well as the ETH price. Margin, fees and funding are BTC amounts too.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest
import yaml

from hedgekit.backtest.engine import AssetSpec, Policy, align_market, run_backtest
from hedgekit.errors import DataError, InputError
from hedgekit.instruments import Instrument
from tests import test_backtest_cli
from tests.test_backtest_cli import example
from tests.test_backtest_parity import assert_parity, binance_inputs

M = 0.000001  # BTC per USD point per contract (BitMEX ETHUSD spec table, https://www.bitmex.com/app/futuresGuide)


def quanto(lot: float = 1.0) -> Instrument:
    return Instrument(symbol="ETHUSD", contract_type="quanto", contract_size=M, base="ETH", quote="USD",
                      settle="BTC", lot_size=lot)


def _bars(n):
    return pd.date_range("2024-01-01", periods=n, freq="D", tz="UTC")


def test_quanto_short_by_hand():
    """10 ETH at 1,000 with BTC at 20,000: one contract is M*1,000*20,000 = 20 USD of ETH, so a
    1:1 hedge is 10,000 / 20 = 500 contracts, whose 1x margin is 500*M*1,000 = 0.5 BTC bought with
    10,000 USD. Next bar ETH 1,100 and BTC 25,000: the short loses 500*M*100 = 0.05 BTC, worth
    1,250 USD at 25,000, while the coins gain 1,000 USD and the 0.5 BTC of margin gains 2,500 USD:
    the quanto hedge over-hedges when BTC rises with ETH and carries BTC through its margin."""
    idx = _bars(2)
    eth = pd.Series([1_000.0, 1_100.0], index=idx)
    btc = pd.Series([20_000.0, 25_000.0], index=idx)
    assets = [AssetSpec(name="ETH", coins=10.0, instrument=quanto(), fee=0.0, mmr=0.005)]
    market = align_market(assets, spot={"ETH": eth},
                          hedge={"ETH": pd.DataFrame({"open": eth, "high": eth, "close": eth})},
                          settle_price={"ETH": btc})
    res = run_backtest(assets, market, [Policy(name="q", ratio=1.0, leverage=1.0, band=10.0)], cash=50_000.0)
    s = res["q"]
    assert s.contracts[:, 0].tolist() == [500.0, 500.0]
    f = res.to_frame("q")
    assert f["equity_usd"].iloc[0] == pytest.approx(50_000.0 + 10_000.0, rel=1e-12)
    # cash 40,000 + coins 11,000 + wallet (0.5 - 0.05) BTC * 25,000
    assert f["equity_usd"].iloc[1] == pytest.approx(40_000.0 + 11_000.0 + 0.45 * 25_000.0, rel=1e-12)
    assert f["spot_pnl_usd"].iloc[1] == pytest.approx(1_000.0, rel=1e-12)
    assert f["hedge_pnl_usd"].iloc[1] == pytest.approx(-1_250.0 + 2_500.0, rel=1e-12)
    # hedged USD / exposure USD: 500 * M * 1,100 * 25,000 / 11,000 = 1.25
    assert f["hedge_ratio"].iloc[1] == pytest.approx(1.25, rel=1e-12)


def test_quanto_fee_and_liquidation_are_in_the_settle_coin():
    """Fee 0.075% of 500*M*1,000 = 0.5 BTC is 0.000375 BTC, 7.5 USD at 20,000, paid on top of the
    margin: at 5x the wallet is 0.5 / 5 = 0.1 BTC after the trade. The short is liquidated when
    0.1 - 500*M*(P - 1,000) <= 500*M*P*0.5%, i.e. P >= (0.1 + 0.5) / (0.0005 * 1.005) = 1,194.03,
    whatever BTC does."""
    idx = _bars(3)
    eth = pd.Series([1_000.0, 1_000.0, 1_000.0], index=idx)
    btc = pd.Series([20_000.0, 30_000.0, 10_000.0], index=idx)
    lp = (0.1 + 0.5) / (500 * M * 1.005)
    for high, liquidated in ((lp * (1 - 1e-9), False), (lp * (1 + 1e-9), True)):
        hedge = pd.DataFrame({"open": eth, "high": [1_000.0, high, 1_000.0], "close": eth})
        assets = [AssetSpec(name="ETH", coins=10.0, instrument=quanto(), fee=0.00075, mmr=0.005)]
        market = align_market(assets, spot={"ETH": eth}, hedge={"ETH": hedge}, settle_price={"ETH": btc})
        res = run_backtest(assets, market, [Policy(name="q", ratio=1.0, leverage=5.0, band=10.0)])
        s = res["q"]
        assert s.fees_usd == pytest.approx(0.000375 * 20_000.0, rel=1e-12)
        assert (s.liquidations == 1) is liquidated
        if liquidated:  # the 0.1 BTC wallet is lost, valued at the bar's BTC price
            assert s.margin_lost_usd == pytest.approx(0.1 * 30_000.0, rel=1e-6)


def test_quanto_book_matches_reference(data_dir):
    """Kernel vs the reference (Instrument.pnl / funding / fee with settle_usd) on real prices: the
    Binance ETHUSDT perp and its funding stand in for BitMEX ETHUSD (no BitMEX ETH history here);
    BTC's spot close is the settle price. Isolated, tiered, top-up and cross (the BTC pool)."""
    spot, hedge, funding = binance_inputs(data_dir)
    settle = {"ETH": spot["BTC"]["close"]}
    assets = [AssetSpec(name="ETH", coins=25.0, instrument=quanto(), fee=0.00075, mmr=0.01),
              AssetSpec(name="BTC", coins=1.0, instrument=Instrument(
                  symbol="XBTUSD", contract_type="inverse", contract_size=1.0, base="BTC", lot_size=100.0),
                  fee=0.00075)]
    market = align_market(assets, spot=spot, hedge=hedge, funding=funding, settle_price=settle)
    for policy in (Policy(name="1x", ratio=1.0, band=0.05, leverage=1.0),
                   Policy(name="5x topup", ratio=1.0, band=0.05, leverage=5.0, topup=0.1),
                   Policy(name="minvar 3x", method="minvar", window=60, reestimate="monthly", band=0.1,
                          leverage=3.0),
                   Policy(name="funding", method="funding", signal_n=14, threshold=0.1, threshold_off=0.03,
                          ratio=1.0, ratio_off=0.2, band=0.05),
                   Policy(name="cross 6x", ratio=1.0, calendar=30, leverage=6.0, margin="cross")):
        out, r = assert_parity(assets, market, policy, cash=20_000.0, reserve=30_000.0)
        if policy.name in ("5x topup", "cross 6x"):
            assert r.liquidations or r.topups


def test_a_quanto_hedge_needs_its_settle_price():
    idx = _bars(3)
    eth = pd.Series([1_000.0, 1_010.0, 990.0], index=idx)
    assets = [AssetSpec(name="ETH", coins=1.0, instrument=quanto())]
    frame = pd.DataFrame({"open": eth, "high": eth, "close": eth})
    with pytest.raises(InputError, match=r"settle_price.ETH: a quanto hedge needs the USD price of its "
                                         r"settle coin BTC"):
        align_market(assets, spot={"ETH": eth}, hedge={"ETH": frame})
    gappy = pd.Series([20_000.0, 21_000.0], index=idx[:2])
    with pytest.raises(DataError, match=r"settle price BTC \(ETH's quanto hedge\): missing or non-positive "
                                        r"at 2024-01-03"):
        align_market(assets, spot={"ETH": eth}, hedge={"ETH": frame}, settle_price={"ETH": gappy})


store = test_backtest_cli.store  # the fixture: a store with the Binance BTC/ETH files


def test_quanto_from_the_config(run_cli, store, tmp_path):
    """The BitMEX preset's ETHUSD quanto, priced from the stored Binance ETH perp (a stand-in),
    settled at the stored BTC spot price. Held 1:1 with its margin in BTC, the hedge cancels the
    book's ETH exposure and leaves BTC's: per bar, spot ``q*dP`` plus the short ``-q*dP*X_t/X_{t-1}``
    plus the margin's revaluation ``~q*P*r_btc`` nets to about ``q*P*r_btc``. So the hedged book's
    daily USD changes follow BTC's returns more closely than ETH's, the reverse of the unhedged book."""
    from hedgekit.backtest import run_config
    from hedgekit.backtest.config import parse_config
    from hedgekit.data import Store, load_ohlc

    cfg = example()
    cfg["assets"] = [{"asset": "ETH", "coins": 10.0, "spot_venue": "binance",
                      "hedge": {"venue": "bitmex", "symbol": "ETHUSD", "data_venue": "binance",
                                "data_symbol": "ETH/USDT:USDT"}}]
    cfg["policies"] = [{"name": "none", "method": "none"},
                       {"name": "quanto 1x", "ratio": 1.0, "band": 0.05, "leverage": 1.0}]
    path = tmp_path / "quanto.yaml"
    path.write_text(yaml.safe_dump(cfg))
    code, out, err = run_cli("backtest", str(path), "--json", "--data-dir", str(store))
    assert code == 0, err
    none, hedged = json.loads(out)["strategies"]
    assert hedged["rebalances"] > 1 and hedged["funding_usd"] != 0.0

    res = run_config(parse_config(cfg), data_dir=store)
    btc = load_ohlc("BTC", kind="price", venue="binance", store=Store(store))["close"]
    r_btc = btc.reindex(res.index).pct_change()
    r_eth = pd.Series(res.spot[:, 0], index=res.index).pct_change()
    corr = {}
    for name in ("none", "quanto 1x"):
        dv = res.to_frame(name)["equity_usd"].diff()
        corr[name] = (dv.corr(r_btc), dv.corr(r_eth))
    assert corr["none"][1] > corr["none"][0]
    assert corr["quanto 1x"][0] > corr["quanto 1x"][1]
