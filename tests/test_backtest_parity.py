"""Kernel vs the slow reference simulator on real Binance data (BTC/ETH spot, perps, 8h funding).

The reference (`hedgekit.backtest._reference`) replays the same rules with `Instrument` methods,
funding per settlement event and `hedgekit.margin.liquidation_price`; the two must agree to
~1e-9 relative on every bar.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from hedgekit.backtest import _reference as ref
from hedgekit.backtest import kernels
from hedgekit.backtest.engine import AssetSpec, Policy, _kernel_args, align_market, run_policy_arrays
from hedgekit.instruments import Instrument


def read_klines(path) -> pd.DataFrame:
    frame = pd.read_csv(path)
    frame.index = pd.to_datetime(frame["open_time"], utc=True)
    return frame[["open", "high", "low", "close"]]


def read_funding(path) -> pd.Series:
    frame = pd.read_csv(path)
    # Binance funding_time carries ms jitter: floor to the hour (funding/README.md)
    stamps = pd.to_datetime(frame["funding_time"], utc=True, format="ISO8601").dt.floor("h")
    return pd.Series(frame["funding_rate"].to_numpy(float), index=pd.DatetimeIndex(stamps))


def binance_inputs(data_dir, coins=("BTC", "ETH")):
    spot = {c: read_klines(data_dir / f"futures/binance_spot_{c}USDT_1d_2021-2024.csv.gz") for c in coins}
    hedge = {c: read_klines(data_dir / f"futures/binance_usdm_perp_{c}USDT_1d_2021-2024.csv.gz") for c in coins}
    funding = {c: read_funding(data_dir / f"funding/binance_usdm_{c}USDT_funding_8h_2021-2024.csv.gz")
               for c in coins}
    return spot, hedge, funding


def linear(coin: str, lot: float = 0.001) -> Instrument:
    return Instrument(symbol=f"{coin}USDT", contract_type="linear", contract_size=1.0, base=coin,
                      quote="USDT", lot_size=lot)


def inverse(coin: str, face: float = 100.0) -> Instrument:
    return Instrument(symbol=f"{coin}USD_PERP", contract_type="inverse", contract_size=face, base=coin)


def ref_assets(assets, market):
    out = []
    for j, a in enumerate(assets):
        out.append(ref.RefAsset(
            instrument=a.instrument, coins=a.coins, spot=market.spot[:, j].tolist(),
            fut=market.fut[:, j].tolist(), fut_high=market.fut_high[:, j].tolist(),
            ret_s=market.ret_s[:, j].tolist(), ret_f=market.ret_f[:, j].tolist(),
            funding=market.funding_events[j], roll_to=market.roll_to[:, j].tolist(),
            stake_per_bar=(a.staking_apr * market.elapsed_days / 365.0).tolist(), mmr=a.mmr,
            maint_amount=a.maint_amount, tiers=a.tiers, cost=a.fee + a.slippage,
            settle_px=market.settle[:, j].tolist()))
    return out


def ref_policy(p: Policy, names=()) -> ref.RefPolicy:
    at = {name: j for j, name in enumerate(names)}
    return ref.RefPolicy(ratios={at[n]: r for n, r in p.ratios.items()},
                         methods={at[n]: str(m) for n, m in p.methods.items()},
                         method=str(p.method), ratio_on=p.ratio, ratio_off=p.ratio_off, band=p.band,
                         calendar=p.calendar, window=p.window, reestimate=p.reestimate,
                         signal_n=p.signal_n, threshold=p.threshold, threshold_off=p.threshold_off,
                         leverage=p.leverage,
                         topup=p.topup, max_ratio=p.max_ratio, halflife=p.halflife, margin=p.margin)


def assert_parity(assets, market, policy, *, cash=0.0, reserve=0.0):
    out = run_policy_arrays(_kernel_args(assets, market, cash, reserve), policy, market.bars_per_year,
                            names=market.names)
    r = ref.simulate(ref_assets(assets, market), ref_policy(policy, market.names), cash=cash, reserve=reserve,
                     dates=list(market.index.date))
    np.testing.assert_allclose(out["equity"], r.equity, rtol=1e-9)
    scale = max(1.0, float(np.abs(out["equity"]).max()))
    np.testing.assert_allclose(out["funding"], r.funding, rtol=1e-9, atol=1e-9 * scale)
    np.testing.assert_allclose(out["fees"], r.fees, rtol=1e-9, atol=1e-9 * scale)
    np.testing.assert_allclose(out["ratio"], r.ratio, rtol=1e-9, atol=1e-12)
    np.testing.assert_array_equal(out["contracts"], np.array(r.contracts))
    liq = [(int(b), int(j)) for b, j in zip(*np.nonzero(out["flags"] & 2), strict=True)]
    assert liq == sorted(r.liquidations)
    assert int(out["scalars"][kernels.S_REBALANCES]) == r.rebalances
    return out, r


@pytest.fixture(scope="module")
def binance(data_dir):
    spot, hedge, funding = binance_inputs(data_dir)
    assets = [AssetSpec(name="BTC", coins=1.5, instrument=linear("BTC"), fee=0.0004, slippage=0.0002),
              AssetSpec(name="ETH", coins=20.0, instrument=linear("ETH", 0.01), fee=0.0004,
                        staking_apr=0.04)]
    market = align_market(assets, spot=spot, hedge=hedge, funding=funding)
    return assets, market, (spot, hedge, funding)


POLICIES = [
    Policy(name="none", method="none"),
    Policy(name="static", ratio=0.5, leverage=2.0),
    Policy(name="static band 5x", ratio=1.0, band=0.05, leverage=5.0),
    Policy(name="calendar", ratio=0.8, calendar=7, leverage=3.0),
    Policy(name="minvar", method="minvar", window=60, reestimate=30, band=0.1, leverage=1.5),
    Policy(name="ewma", method="ewma", window=120, halflife=20.0, reestimate=10, band=0.05),
    Policy(name="trend", method="trend", signal_n=50, ratio=1.0, ratio_off=0.2, band=0.05),
    Policy(name="rsi", method="rsi", signal_n=14, threshold=60.0, ratio=0.9),
    Policy(name="vol", method="vol", signal_n=30, threshold=0.6, ratio=1.0, ratio_off=0.3, band=0.1),
    Policy(name="minvar weekly", method="minvar", window=60, reestimate="weekly", band=0.05),
    Policy(name="ewma monthly", method="ewma", window=90, halflife=20.0, reestimate="monthly", leverage=3.0),
    Policy(name="funding", method="funding", signal_n=21, threshold=0.08, ratio=1.0, ratio_off=0.25,
           band=0.05),
    Policy(name="funding hysteresis", method="funding", signal_n=21, threshold=0.12, threshold_off=0.04,
           ratio=1.0, ratio_off=0.0, band=0.05, leverage=3.0),
    # per-asset ratios and methods in one policy (issue 14: "start by hedging 10% of one asset")
    Policy(name="per-asset ratio", ratio=0.5, ratios={"ETH": 0.1}, band=0.05),
    Policy(name="per-asset method", method="static", ratio=0.8, methods={"ETH": "minvar"},
           window=60, reestimate="weekly", band=0.05),
    Policy(name="per-asset mixed", method="trend", signal_n=50, ratio=1.0, ratio_off=0.2,
           ratios={"BTC": 0.6}, methods={"BTC": "funding", "ETH": "ewma"}, threshold=0.08,
           halflife=20.0, window=90, reestimate=10, band=0.05),
    Policy(name="per-asset none", ratio=0.9, methods={"BTC": "none"}, leverage=3.0),
    # cross margin: one USD pool for both linear legs (and the reserve)
    Policy(name="cross 5x", ratio=1.0, band=0.05, leverage=5.0, margin="cross"),
    Policy(name="cross 8x calendar", ratio=1.0, calendar=30, leverage=8.0, margin="cross"),
]


@pytest.mark.parametrize("policy", POLICIES, ids=lambda p: p.name)
def test_kernel_matches_reference_on_binance_linear(binance, policy):
    assets, market, _ = binance
    out, r = assert_parity(assets, market, policy, cash=30_000.0)
    if policy.name in ("static band 5x", "cross 8x calendar"):
        assert r.liquidations, "a 5x/8x short over 2021-2024 should be liquidated at least once"


def test_funding_policy_switches_and_hysteresis_holds_on_real_funding(binance):
    """On 2021-2024 Binance funding the trailing APR crosses both thresholds: the hedge turns off
    and on again, and the band between the thresholds keeps whichever state came before."""
    assets, market, _ = binance
    hyst = Policy(name="hyst", method="funding", signal_n=14, threshold=0.15, threshold_off=0.05,
                  ratio=1.0, ratio_off=0.0)
    plain = Policy(name="plain", method="funding", signal_n=14, threshold=0.15, ratio=1.0, ratio_off=0.0)
    out_h, _ = assert_parity(assets, market, hyst)
    out_p, _ = assert_parity(assets, market, plain)
    btc_h, btc_p = out_h["contracts"][:, 0], out_p["contracts"][:, 0]
    assert (btc_h == 0).any() and (btc_h > 0).any()
    switches = lambda held: int(np.count_nonzero(np.diff(held > 0)))  # noqa: E731
    assert switches(btc_h) < switches(btc_p)  # hysteresis: fewer on/off flips on the same data


def test_topups_from_reserve_match_reference(binance):
    assets, market, _ = binance
    policy = Policy(name="topup", ratio=1.0, band=0.05, leverage=4.0, topup=0.15)
    out, r = assert_parity(assets, market, policy, cash=10_000.0, reserve=40_000.0)
    assert r.topups > 0 and out["scalars"][kernels.S_TOPUPS] == r.topups


def test_inverse_book_matches_reference(binance, data_dir):
    # The perp prices and funding stand in for an inverse contract's (no COIN-M history exists in
    # ../shared/data); this checks the coin accounting, not the market.
    _, _, (spot, hedge, funding) = binance
    assets = [AssetSpec(name="BTC", coins=2.0, instrument=inverse("BTC"), fee=0.0005),
              AssetSpec(name="ETH", coins=30.0, instrument=inverse("ETH", 10.0), fee=0.0005)]
    market = align_market(assets, spot=spot, hedge=hedge, funding=funding)
    for policy in (Policy(name="inv 1x", ratio=1.0, band=0.05, leverage=1.0),
                   Policy(name="inv 3x", method="minvar", window=90, reestimate=30, band=0.1, leverage=3.0),
                   Policy(name="inv funding", method="funding", signal_n=14, threshold=0.1,
                          threshold_off=0.03, ratio=1.0, ratio_off=0.2, band=0.05)):
        assert_parity(assets, market, policy)


def test_rolls_match_reference(binance):
    assets, market, _ = binance
    # a synthetic roll every 90 bars into a contract 0.8% above the expiring one, on real prices
    roll = np.full(market.spot.shape, np.nan)
    roll[89::90] = market.fut[89::90] * 1.008
    rolled = market.__class__(**{**{f: getattr(market, f) for f in market.__dataclass_fields__},
                                 "roll_to": roll})
    out, r = assert_parity(assets, rolled, Policy(name="roll", ratio=1.0, band=0.1, leverage=2.0))
    assert r.rolls == out["scalars"][kernels.S_ROLLS] > 0
    sc = out["scalars"]
    assert math.isclose(sc[kernels.S_ROLL_BASIS] / sc[kernels.S_ROLLS], 0.008, rel_tol=1e-9)


def test_tiered_maintenance_matches_reference(binance):
    # 40 BTC / 400 ETH: notionals cross Binance's maintenance tiers as prices move
    from hedgekit.venues import get_venue

    _, _, (spot, hedge, funding) = binance
    venue = get_venue("binance-usdm")
    assets = [AssetSpec(name=c, coins=q, instrument=venue.instrument(f"{c}USDT"), fee=venue.taker_fee,
                        tiers=venue.tiers(f"{c}USDT")) for c, q in (("BTC", 40.0), ("ETH", 400.0))]
    assert len(assets[0].tiers) > 3
    market = align_market(assets, spot=spot, hedge=hedge, funding=funding)
    out, r = assert_parity(assets, market, Policy(name="tiered 4x", ratio=1.0, band=0.05, leverage=4.0),
                           cash=100_000.0)
    assert r.liquidations


def test_per_asset_ratios_and_methods_by_hand():
    """Two assets, flat prices (spot = perp = 100 for A, 2000 for B), no funding, no fee, lot 0.001.
    A linear contract of 1 coin worth P hedges r * coins * S USD with r * coins * S / P contracts;
    at S = P that is r * coins. Policy ratio 0.5 with ratios {B: 0.1}: A holds 0.5 * 4 = 2
    contracts, B 0.1 * 30 = 3. methods {A: none}: A holds nothing, B keeps the policy's 0.5 * 30 = 15.
    The book ratio is the hedged USD over the exposure: (2*100 + 3*2000) / (4*100 + 30*2000)."""
    idx = pd.date_range("2024-01-01", periods=5, freq="D", tz="UTC")
    flat = lambda px: pd.DataFrame({"open": px, "high": px, "low": px, "close": px}, index=idx)  # noqa: E731
    assets = [AssetSpec(name="A", coins=4.0, instrument=linear("A"), fee=0.0),
              AssetSpec(name="B", coins=30.0, instrument=linear("B"), fee=0.0)]
    market = align_market(assets, spot={"A": flat(100.0)["close"], "B": flat(2000.0)["close"]},
                          hedge={"A": flat(100.0), "B": flat(2000.0)})
    out, _ = assert_parity(assets, market, Policy(name="r", ratio=0.5, ratios={"B": 0.1}))
    np.testing.assert_allclose(out["contracts"], [[2.0, 3.0]] * 5, rtol=1e-12)
    np.testing.assert_allclose(out["ratio"], (2 * 100 + 3 * 2000) / (4 * 100 + 30 * 2000), rtol=1e-12)
    out, _ = assert_parity(assets, market, Policy(name="m", ratio=0.5, methods={"A": "none"}))
    np.testing.assert_allclose(out["contracts"], [[0.0, 15.0]] * 5, rtol=1e-12)


def test_per_asset_names_must_be_in_the_book(binance):
    from hedgekit.backtest.engine import run_backtest
    from hedgekit.errors import InputError

    assets, market, _ = binance
    with pytest.raises(InputError, match=r"policies.p.ratios.SOL"):
        run_backtest(assets, market, [Policy(name="p", ratios={"SOL": 0.1})])
    with pytest.raises(InputError, match=r"policies.p.methods.BTC: must be one of"):
        Policy(name="p", methods={"BTC": "guess"})
    with pytest.raises(InputError, match=r"policies.p.ratios.ETH: must be <= 5"):
        Policy(name="p", ratios={"ETH": 9.0})


def test_cross_margin_pools_match_reference(binance):
    """Cross margin with the reserve in the USD pool, tiered brackets, and a book mixing a linear
    leg (USD pool) with inverse legs (one pool per coin): kernel and reference agree bar by bar."""
    from hedgekit.venues import get_venue

    _, _, (spot, hedge, funding) = binance
    venue = get_venue("binance-usdm")
    tiered = [AssetSpec(name=c, coins=q, instrument=venue.instrument(f"{c}USDT"), fee=venue.taker_fee,
                        tiers=venue.tiers(f"{c}USDT")) for c, q in (("BTC", 40.0), ("ETH", 400.0))]
    market = align_market(tiered, spot=spot, hedge=hedge, funding=funding)
    out, r = assert_parity(tiered, market, Policy(name="cross tiered 6x", ratio=1.0, calendar=60,
                                                  leverage=6.0, margin="cross"),
                           cash=50_000.0, reserve=300_000.0)
    mixed = [AssetSpec(name="BTC", coins=2.0, instrument=inverse("BTC"), fee=0.0005),
             AssetSpec(name="ETH", coins=30.0, instrument=linear("ETH", 0.01), fee=0.0004)]
    market = align_market(mixed, spot=spot, hedge=hedge, funding=funding)
    out, r = assert_parity(mixed, market, Policy(name="cross mixed 7x", ratio=1.0, calendar=45,
                                                 leverage=7.0, margin="cross"), cash=20_000.0)
    assert r.liquidations
