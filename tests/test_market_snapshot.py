"""The market snapshot: sources and times of every price, stale-price warnings (issue 10)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from hedgekit.errors import InputError
from hedgekit.market import MarketSnapshot, PricePoint
from hedgekit.planner import plan
from hedgekit.portfolio import parse_portfolio
from hedgekit.venues import get_venue

UTC = UTC


def book(**extra):
    return parse_portfolio({"holdings": [{"asset": "BTC", "amount": 1}, {"asset": "ETH", "amount": 10}],
                            "hedge": {"venues": ["binance-usdm"]}, **extra})


def snap(btc_at: datetime, eth_at: datetime) -> MarketSnapshot:
    return MarketSnapshot(prices={
        "BTC": PricePoint(value=84_000, source="store", as_of=btc_at),
        "ETH": PricePoint(value=2_200, source="live:binance-usdm", as_of=eth_at, kind="mark")})


def test_prices_older_than_max_price_age_or_far_apart_warn():
    now = datetime(2026, 3, 1, 12, tzinfo=UTC)
    p = plan(book(), snap(now - timedelta(days=1), now - timedelta(minutes=1)), now=now)
    stale = [w for w in p.warnings if w.code == "stale-price"]
    # BTC is a day old (> 15 min default); ETH one minute (fresh); 23h59m apart -> "24.0h"
    assert [w.asset for w in stale] == ["BTC", None]
    assert "1.0d old (max_price_age 15.0m)" in stale[0].message
    assert "prices are 24.0h apart: BTC from 2026-02-28 12:00, ETH from 2026-03-01 11:59" in stale[1].message
    fresh = plan(book(), snap(now - timedelta(minutes=5), now - timedelta(minutes=1)), now=now)
    assert "stale-price" not in {w.code for w in fresh.warnings}
    # a longer max_price_age in the book accepts the day-old close
    relaxed = plan(book(max_price_age="2d"), snap(now - timedelta(days=1), now), now=now)
    assert "stale-price" not in {w.code for w in relaxed.warnings}


def test_every_price_says_where_it_came_from():
    now = datetime(2026, 3, 1, 12, tzinfo=UTC)
    p = plan(book(), snap(now, now), now=now)
    src = p.to_dict()["price_sources"]
    assert src["BTC"] == {"value": 84_000, "source": "store", "kind": "close",
                          "as_of": "2026-03-01T12:00:00+00:00"}
    assert src["ETH"]["source"] == "live:binance-usdm" and src["ETH"]["kind"] == "mark"
    typed = plan(book(prices={"BTC": 84_000, "ETH": 2_200}), now=now)
    assert typed.to_dict()["price_sources"]["BTC"] == {"value": 84_000, "source": "file",
                                                       "kind": "close", "as_of": None}
    assert "stale-price" not in {w.code for w in typed.warnings}  # typed prices are not judged


def test_strict_refuses_a_stale_store_price(data_dir, tmp_path, run_cli, monkeypatch):
    from hedgekit.data import import_path

    monkeypatch.setenv("HEDGEKIT_DATA_DIR", str(tmp_path / "store"))
    import_path(data_dir / "prices" / "binance_spot_daily_8coins_2020-01_2026-02" / "BTC_1D.json.gz")
    path = tmp_path / "b.yaml"
    path.write_text("holdings: [{asset: BTC, amount: 1}]\nhedge: {venues: [binance-usdm]}\n")
    code, out, err = run_cli("plan", str(path), "--json")
    assert code == 0
    import json

    doc = json.loads(out)
    assert doc["price_sources"]["BTC"]["source"] == "store"
    assert "stale-price" in {w["code"] for w in doc["warnings"]}
    code, out, err = run_cli("plan", str(path), "--strict")
    assert code == 2 and out == "" and err.count("\n") == 1
    assert err.startswith("error: --strict: stale-price: BTC: the close price")


def test_a_contract_synced_from_the_venue_list_can_be_planned():
    # DOGE has no preset contract on okx; once okx's market list is synced, DOGE-USDT-SWAP (1,000
    # DOGE per contract, lot 1) hedges DOGE with its own future: 250,000 DOGE -> 250 contracts
    from hedgekit.instruments import Instrument
    from hedgekit.margin import MarginTier

    doge = Instrument(symbol="DOGE-USDT-SWAP", contract_type="linear", contract_size=1000, base="DOGE",
                      quote="USDT", lot_size=1)
    tiers = (MarginTier(floor=0, cap=float("inf"), mmr=0.02, max_leverage=50),)
    raw = {"prices": {"DOGE": 0.2}, "holdings": [{"asset": "DOGE", "amount": 250_000}],
           "hedge": {"venues": ["okx"], "leverage": 2}}
    doc = parse_portfolio(raw)
    with pytest.raises(InputError, match="hedge.benchmark: no price for BTC"):
        plan(doc)  # without the synced list: no DOGE future, so the BTC proxy, which has no price
    snap = MarketSnapshot.from_prices({"DOGE": 0.2})
    snap = MarketSnapshot(prices=snap.prices, instruments={"okx": {"DOGE-USDT-SWAP": doge}},
                          tiers={"okx": {"DOGE-USDT-SWAP": tiers}})
    (leg,) = plan(doc, snap).legs
    assert (leg.symbol, leg.hedge_asset, leg.contracts) == ("DOGE-USDT-SWAP", "DOGE", 250.0)
    # the synced tier gives the MMR: isolated short at 2x, W = 25,000 USDT on 50,000 notional,
    # q = 250,000 DOGE; fee-in-mmr with no fee to close unless hedge.fee_to_close asks for it:
    # W + q*(EP - LP) = q*LP*(MMR + fee)  ->  LP = (W + q*EP) / (q*(MMR + fee) + q), fee = 0
    assert leg.liquidation_price == pytest.approx(75_000 / (250_000 * 0.02 + 250_000), rel=1e-12)
    # asked for, OKX's taker fee joins the rate (fee-in-mmr)
    fee = get_venue("okx").taker_fee
    asked = parse_portfolio({**raw, "hedge": {**raw["hedge"], "fee_to_close": True}})
    (leg,) = plan(asked, snap).legs
    assert leg.liquidation_price == pytest.approx(75_000 / (250_000 * (0.02 + fee) + 250_000), rel=1e-12)


def test_a_stored_price_from_a_flagged_series_is_never_used_silently(tmp_path):
    # 40 daily closes of a made-up coin whose last 8 are stuck at 2.0: `data check` calls a
    # run of 7+ unchanged closes "stale"; a plan built on that price says so.
    from hedgekit.data import Store, import_path
    from hedgekit.market import snapshot_for

    rows = ["date,symbol,open,high,low,close,volume"]
    for day in range(40):
        close = 1.0 + day / 100 if day < 32 else 2.0
        rows.append(f"2026-01-{1 + day:02d},ZZZ,{close},{close * 1.01},{close * 0.99},{close},10"
                    if day < 31 else
                    f"2026-02-{day - 30:02d},ZZZ,{close},{close * 1.01},{close * 0.99},{close},10")
    path = tmp_path / "zzz.csv"
    path.write_text("\n".join(rows) + "\n")
    store = Store(tmp_path / "store")
    report = import_path(path, store=store, format="long-ohlcv-csv", venue="test")
    assert not report.refused, report
    doc = parse_portfolio({"holdings": [{"asset": "ZZZ", "amount": 1000}],
                           "hedge": {"method": "notional", "venues": ["binance-usdm"],
                                     "benchmark": "BTC"},
                           "prices": {"BTC": 80_000}})
    snap = snapshot_for(doc, store=store)
    point = snap.prices["ZZZ"]
    assert point.value == 2.0 and point.problems and point.problems[0].startswith("stale ")
    p = plan(doc, snap, now=datetime(2026, 2, 10, tzinfo=UTC))
    (w,) = [w for w in p.warnings if w.code == "bad-price-series"]
    assert w.asset == "ZZZ" and "close unchanged at 2" in w.message
    assert p.to_dict()["price_sources"]["ZZZ"]["problems"] == list(point.problems)
