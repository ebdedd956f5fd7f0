"""Portfolio file validation, exposures and liquidity-pool math (issue 3)."""

from __future__ import annotations

import math

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from hedgekit.errors import InputError
from hedgekit.portfolio import (
    LPModel,
    compute_exposures,
    load_portfolio,
    lp_amounts,
    lp_liquidity_from_amounts,
    lp_value,
    parse_portfolio,
)

BTC = {"asset": "BTC", "amount": 1}


def _error(doc) -> str:
    with pytest.raises(InputError) as info:
        parse_portfolio(doc)
    return str(info.value)


# ----------------------------------------------------------------------------- validation
@pytest.mark.parametrize(("doc", "message"), [
    ({"holdings": [BTC, BTC, BTC, {"asset": "ETH", "amount": -5}]},
     "holdings[3].amount: must be >= 0 (got -5)"),
    ({"holdings": [{"asset": "BTC", "amount": "ten"}]},
     "holdings[0].amount: must be a finite number (got 'ten')"),
    ({"holdings": [{"asset": "BTC", "amount": ".nan"}]},
     "holdings[0].amount: must be a finite number (got '.nan')"),
    ({"holdings": [{"asset": "BTC", "amount": 1, "kind": "futures"}]},
     "holdings[0].kind: must be one of spot, staked, lent, lp, cash or borrowed (got 'futures')"),
    ({"holdings": [BTC, {"asset": "BTC"}]}, "holdings[1].amount: is required"),
    ({"holdings": [{"asset": "BTC", "amount": 1, "amout": 2}]},
     "holdings[0].amout: unknown field (got 2)"),
    ({"holdings": [{"asset": "BTC", "amount": 1, "apy": 0.05}]},
     "holdings[0].apy: only staked, lent or borrowed holdings take apy (got 0.05)"),
    ({"holdings": [{"kind": "lp", "pool": "ETH/USDC", "model": "concentrated", "liquidity": 5,
                    "lower": 4000, "upper": 3000}]},
     "holdings[0].upper: must be > lower (4000) (got 3000.0)"),
    ({"holdings": [{"kind": "lp", "pool": "ETHUSDC", "model": "constant-product", "liquidity": 5}]},
     "holdings[0].pool: must look like BASE/QUOTE, e.g. ETH/USDC (got 'ETHUSDC')"),
    ({"holdings": [{"kind": "lp", "pool": "ETH/USDC", "model": "constant-product"}]},
     "holdings[0].liquidity: give either liquidity or amount_base and amount_quote (got None)"),
    ({"holdings": [{"kind": "lp", "pool": "ETH/USDC", "model": "v4", "liquidity": 5}]},
     "holdings[0].model: must be one of constant-product or concentrated (got 'v4')"),
    ({"holdings": [BTC], "hedge": {"ratio": -0.5}}, "hedge.ratio: must be >= 0 (got -0.5)"),
    ({"holdings": [BTC], "hedge": {"leverage": 0}}, "hedge.leverage: must be > 0 (got 0)"),
    ({"holdings": [BTC], "hedge": {"leverage": -2}}, "hedge.leverage: must be > 0 (got -2)"),
    ({"holdings": [BTC], "hedge": {"max_share_per_venue": 1.5}},
     "hedge.max_share_per_venue: must be <= 1 (got 1.5)"),
    ({"holdings": [BTC], "hedge": {"method": "ols"}},
     "hedge.method: must be one of notional, beta, minvar or downside-beta (got 'ols')"),
    ({"holdings": [BTC], "prices": {"BTC": 0}}, "prices.BTC: must be > 0 (got 0)"),
    ({"holdings": [BTC], "hedge": {"betas": {"sol": "high"}}},
     "hedge.betas.SOL: must be a finite number (got 'high')"),
    ({"holdings": [BTC], "hedge": {"instruments": {"BTC": {"venue": "okx", "symbol": "X", "contract_size": 1}}}},
     "hedge.instruments.BTC[0].contract_type: a custom contract needs contract_type, contract_size and base"),
    ({"holdings": []}, "holdings: must be a non-empty list of entries (got [])"),
    ({"holdings": [BTC], "hedges": {}},
     "hedges: unknown section; expected holdings, prices, hedge, scenario, positions, max_price_age, accounts, "
     "execution, alerts"),
])
def test_malformed_portfolio_names_entry_and_field(doc, message):
    assert _error(doc) == message


def test_missing_price_names_the_holding():
    p = parse_portfolio({"holdings": [BTC, {"asset": "SOL", "amount": 3}], "prices": {"BTC": 1}})
    with pytest.raises(InputError, match=r"^holdings\[1\]\.asset: no price for SOL"):
        compute_exposures(p)


def test_bad_yaml_is_one_line_with_position(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text("holdings:\n  - {asset: BTC, amount: 1\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_portfolio(path)
    text = str(info.value)
    assert text.startswith("p.yaml: invalid YAML at line ") and "\n" not in text


def test_missing_file(tmp_path):
    with pytest.raises(InputError, match="PORTFOLIO: cannot read file"):
        load_portfolio(tmp_path / "nope.yaml")


def test_symbols_are_case_insensitive():
    p = parse_portfolio({"holdings": [{"asset": " btc ", "amount": 2}], "prices": {"btc": 10}})
    ex = compute_exposures(p)
    assert [e.asset for e in ex.exposures] == ["BTC"] and ex.exposures[0].value_usd == 20


# ----------------------------------------------------------------------------- exposures
def test_exposures_aggregate_spot_staked_lent_and_cash():
    p = parse_portfolio({
        "prices": {"ETH": 3000, "USDC": 0.99},
        "holdings": [
            {"asset": "ETH", "amount": 10},
            {"asset": "ETH", "amount": 100, "kind": "staked", "apy": 0.035, "unlock_days": 21},
            {"asset": "USDC", "amount": 1000},
            {"asset": "DAI", "amount": 500},
        ]})
    ex = compute_exposures(p)
    eth, usdc, dai = ex.exposures
    assert (eth.amount, eth.delta_coin, eth.value_usd) == (110, 110, 330_000)
    assert eth.locked_amount == 100 and eth.max_unlock_days == 21
    assert eth.yield_coin_per_year == pytest.approx(3.5)
    assert usdc.is_cash and usdc.value_usd == pytest.approx(990)  # a depeg price is honoured
    assert dai.is_cash and dai.price == 1.0                         # stablecoins default to 1
    assert [e.asset for e in ex.risky] == ["ETH"]
    assert ex.yield_per_year_usd == pytest.approx(100 * 3000 * 0.035)
    assert any("21-day unlock" in n for n in ex.unhedgeable)


def test_lp_exposure_from_amounts_is_rebalanced_to_current_price():
    # amounts 50 ETH + 150,000 USDC imply P0 = 3,000 and L = sqrt(50 * 150,000)
    p = parse_portfolio({
        "prices": {"ETH": 3500},
        "holdings": [{"kind": "lp", "pool": "ETH/USDC", "model": "constant-product",
                      "amount_base": 50, "amount_quote": 150_000}]})
    ex = compute_exposures(p)
    L = math.sqrt(50 * 150_000)
    eth = ex.get("ETH")
    # independent: the constant-product invariant x*y = L^2 with y/x = P
    assert eth.delta_coin == pytest.approx(math.sqrt(L * L / 3500))
    assert ex.get("USDC").amount == pytest.approx(math.sqrt(L * L * 3500))
    assert ex.pools[0].entry_price == pytest.approx(3000)
    assert any("impermanent loss" in n and "re-balanced" in n for n in ex.unhedgeable)


# ----------------------------------------------------------------------------- pool math
def _virtual_reserve_value(L, P, pa=None, pb=None):
    """Independent pool value: virtual reserves (x + L/sqrt(pb)) (y + L sqrt(pa)) = L^2 with the
    pool price clamped to the range (Uniswap v3 whitepaper 2.2); v2 is pa=0, pb=inf."""
    pa = 0.0 if pa is None else pa
    pb = math.inf if pb is None else pb
    pc = min(max(P, pa), pb)
    x_virtual, y_virtual = L / math.sqrt(pc), L * math.sqrt(pc)
    x = x_virtual - (0.0 if pb == math.inf else L / math.sqrt(pb))
    y = y_virtual - L * math.sqrt(pa)
    return x * P + y


def _numeric_delta(L, P, pa=None, pb=None, h=1e-6):
    up = _virtual_reserve_value(L, P * (1 + h), pa, pb)
    down = _virtual_reserve_value(L, P * (1 - h), pa, pb)
    return (up - down) / (2 * P * h)


@pytest.mark.parametrize("price", [100.0, 2500.0, 3000.0, 3500.0, 3999.0, 6000.0])
def test_lp_delta_is_numeric_derivative_of_pool_value(price):
    L = 1234.5
    for model, pa, pb in ((LPModel.CONSTANT_PRODUCT, None, None), (LPModel.CONCENTRATED, 3000.0, 4000.0)):
        x, _ = lp_amounts(model, L, price, pa, pb)
        assert lp_value(model, L, price, pa, pb) == pytest.approx(
            _virtual_reserve_value(L, price, pa, pb), rel=1e-12)
        if pa is not None and abs(price - pa) < 1e-9:
            continue
        assert x == pytest.approx(_numeric_delta(L, price, pa, pb), rel=1e-6, abs=1e-9)


def test_concentrated_outside_range_is_all_base_below_all_quote_above():
    L, pa, pb = 1000.0, 3000.0, 4000.0
    assert lp_amounts("concentrated", L, 2000, pa, pb) == (
        pytest.approx(L * (1 / math.sqrt(pa) - 1 / math.sqrt(pb))), 0.0)
    assert lp_amounts("concentrated", L, 5000, pa, pb) == (0.0, pytest.approx(L * (math.sqrt(pb) - math.sqrt(pa))))


prices = st.floats(min_value=1e-3, max_value=1e6)


@given(L=st.floats(min_value=1e-3, max_value=1e9), p=prices,
       lo=st.floats(min_value=1e-3, max_value=1e5), width=st.floats(min_value=1.001, max_value=100))
def test_lp_delta_between_zero_and_all_base(L, p, lo, width):
    hi = lo * width
    x, y = lp_amounts("concentrated", L, p, lo, hi)
    all_base = L * (1 / math.sqrt(lo) - 1 / math.sqrt(hi))
    assert 0.0 <= x <= all_base * (1 + 1e-12)
    assert y >= 0.0


@given(L=st.floats(min_value=1e-2, max_value=1e8), lo=st.floats(min_value=1e-2, max_value=1e5),
       width=st.floats(min_value=1.01, max_value=50), frac=st.floats(min_value=0.01, max_value=0.99))
def test_liquidity_from_amounts_round_trip(L, lo, width, frac):
    hi = lo * width
    p0 = lo * width ** frac  # a price strictly inside the range
    x, y = lp_amounts("concentrated", L, p0, lo, hi)
    assume(x > 0 and y > 0)
    L2, p2 = lp_liquidity_from_amounts("concentrated", x, y, lo, hi)
    assert L2 == pytest.approx(L, rel=1e-7)
    assert p2 == pytest.approx(p0, rel=1e-7)
    L3, p3 = lp_liquidity_from_amounts("constant-product", *lp_amounts("constant-product", L, p0))
    assert (L3, p3) == (pytest.approx(L, rel=1e-9), pytest.approx(p0, rel=1e-9))


def test_lp_gamma_loss_is_negative_both_ways():
    p = parse_portfolio({"prices": {"ETH": 3500}, "holdings": [
        {"kind": "lp", "pool": "ETH/USDC", "model": "concentrated", "liquidity": 5000,
         "lower": 3000, "upper": 4000}]})
    pool = compute_exposures(p).pools[0]
    assert pool.gamma_loss(-0.1) < 0 and pool.gamma_loss(0.1) < 0
    # independent: value change minus delta x price change, with the virtual-reserve value
    expected = (_virtual_reserve_value(5000, 3850, 3000, 4000) - _virtual_reserve_value(5000, 3500, 3000, 4000)
                - pool.amount_base * 350)
    assert pool.gamma_loss(0.1) == pytest.approx(expected, rel=1e-9)


# ------------------------------------------------------------------ one-sided pool amounts
# Uniswap v3 whitepaper 6.2.1 (eqs 6.29-6.30), for Pa <= P <= Pb:
#   x = L (1/sqrt(P) - 1/sqrt(Pb)),  y = L (sqrt(P) - sqrt(Pa));
# below Pa the position is all base (P clamps to Pa, y = 0), above Pb all quote (P clamps to Pb,
# x = 0). So amounts with y = 0 fix L = x / (1/sqrt(Pa) - 1/sqrt(Pb)) and x = 0 fix
# L = y / (sqrt(Pb) - sqrt(Pa)). Constant product (v2): x = L/sqrt(P), y = L sqrt(P).
PA, PB = 3000.0, 4000.0


def _pool(price, **amounts):
    p = parse_portfolio({"prices": {"ETH": price}, "holdings": [
        {"kind": "lp", "pool": "ETH/USDC", "model": "concentrated", "lower": PA, "upper": PB,
         **amounts}]})
    return compute_exposures(p)


def test_concentrated_all_base_below_the_range_stays_all_base():
    ex = _pool(2500.0, amount_base=10.0, amount_quote=0.0)
    L = 10.0 / (1 / math.sqrt(PA) - 1 / math.sqrt(PB))
    pool = ex.pools[0]
    assert pool.liquidity == pytest.approx(L, rel=1e-12)
    assert pool.entry_price == PA  # all base: the amounts sit at (or below) the lower end
    assert ex.get("ETH").delta_coin == pytest.approx(10.0, rel=1e-12)
    assert ex.get("USDC").amount == 0.0
    assert not pool.in_range


def test_concentrated_all_quote_above_the_range_stays_all_quote():
    ex = _pool(5000.0, amount_base=0.0, amount_quote=20_000.0)
    L = 20_000.0 / (math.sqrt(PB) - math.sqrt(PA))
    pool = ex.pools[0]
    assert pool.liquidity == pytest.approx(L, rel=1e-12)
    assert pool.entry_price == PB  # all quote: at (or above) the upper end
    assert ex.get("ETH").delta_coin == 0.0
    assert ex.get("USDC").amount == pytest.approx(20_000.0, rel=1e-12)


def test_concentrated_all_base_is_rebalanced_when_the_price_is_inside_the_range():
    P = 3500.0
    ex = _pool(P, amount_base=10.0, amount_quote=0.0)
    L = 10.0 / (1 / math.sqrt(PA) - 1 / math.sqrt(PB))
    x = L * (1 / math.sqrt(P) - 1 / math.sqrt(PB))
    y = L * (math.sqrt(P) - math.sqrt(PA))
    assert ex.get("ETH").delta_coin == pytest.approx(x, rel=1e-12)
    assert ex.get("USDC").amount == pytest.approx(y, rel=1e-12)
    assert 0 < x < 10.0 and y > 0
    assert any("re-balanced" in n for n in ex.unhedgeable)


@pytest.mark.parametrize("amounts", [{"amount_base": 10.0, "amount_quote": 0.0},
                                     {"amount_base": 0.0, "amount_quote": 30_000.0}])
def test_constant_product_one_sided_amount_is_taken_at_the_current_price(amounts):
    # 10 ETH at P = 3000: L = x sqrt(P) = 10 sqrt(3000); 30,000 USDC: L = y / sqrt(P), the same L
    P = 3000.0
    p = parse_portfolio({"prices": {"ETH": P}, "holdings": [
        {"kind": "lp", "pool": "ETH/USDC", "model": "constant-product", **amounts}]})
    ex = compute_exposures(p)
    L = 10.0 * math.sqrt(P)
    assert ex.pools[0].liquidity == pytest.approx(L, rel=1e-12)
    assert ex.pools[0].entry_price == P
    assert ex.get("ETH").delta_coin == pytest.approx(L / math.sqrt(P), rel=1e-12)
    assert ex.get("USDC").amount == pytest.approx(L * math.sqrt(P), rel=1e-12)


def test_constant_product_one_sided_amount_needs_a_price():
    with pytest.raises(InputError, match="^amount_quote: a constant-product position holds both"):
        lp_liquidity_from_amounts("constant-product", 10.0, 0.0)
