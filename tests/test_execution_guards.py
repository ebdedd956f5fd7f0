"""The guards between a plan's trades and the orders sent (issue 11): pure, so every number
here is derived by hand from the Binance USD-M contract specs in hedgekit.venues (BTCUSDT: lot
0.001 BTC, tick 0.1; ETHUSDT: lot 0.001, tick 0.01; SOLUSDT: lot 1; minimum notional 5 USDT)."""

from __future__ import annotations

import re

import pytest

from hedgekit.errors import InputError
from hedgekit.execution.guards import guard_orders, limit_price, split_lots
from hedgekit.execution.ids import client_order_id
from hedgekit.instruments import Side
from hedgekit.planner import HeldPosition, plan
from hedgekit.portfolio import parse_portfolio

PAPER = {"name": "paper", "venue": "paper", "base": "binance-usdm", "cash": {"USDT": 100000}}


def make_book(holdings=None, accounts=(PAPER,), prices=None, **execution):
    return parse_portfolio({
        "prices": prices or {"BTC": 75000, "ETH": 2400},
        "holdings": holdings or [{"asset": "BTC", "amount": 2.5}],
        "hedge": {"venues": ["binance-usdm"], "leverage": 3},
        "accounts": list(accounts), "execution": execution})


def short(symbol, contracts, entry=None, account="paper"):
    return HeldPosition(venue="binance-usdm", symbol=symbol, side=Side.SHORT, contracts=contracts,
                        entry_price=entry, account=account)


def run(book, held=(), **kw):
    return guard_orders(plan(book, positions=list(held)), book.execution, book_id="b", **kw)


def test_band_skips_a_drift_of_4_percent_and_trades_one_of_8():
    book = make_book(band=0.05)
    # target -2.5 BTC; held -2.4: the gap 0.1 is 4% of the target
    out = run(book, [short("BTCUSDT", 2.4)])
    assert out.orders == ()
    assert out.skipped[0].reason.startswith("band: held -2.4 vs target -2.5 BTCUSDT: drift 4.00%")
    # held -2.3: 0.2 / 2.5 = 8% > 5%
    (order,) = run(book, [short("BTCUSDT", 2.3)]).orders
    assert (order.side, order.contracts, order.reduce_only) == ("sell", pytest.approx(0.2), False)


def test_band_zero_always_trades_and_a_close_ignores_the_band():
    out = run(make_book(band=0), [short("BTCUSDT", 2.499)])
    assert [o.contracts for o in out.orders] == [pytest.approx(0.001)]
    # no SOL in the book: the held SOL short is closed whatever the band (target 0)
    out = run(make_book(band=0.5, prices={"BTC": 75000, "SOL": 150}),
              [short("BTCUSDT", 2.5), short("SOLUSDT", 3, entry=150)])
    (order,) = out.orders
    assert (order.symbol, order.side, order.contracts, order.reduce_only) == ("SOLUSDT", "buy", 3, True)
    assert order.reason.startswith("reduce SOLUSDT: held -3 -> target 0")


def test_a_trade_is_split_into_child_orders_of_at_most_max_order_usd():
    # 2.5 BTC at 75,000 = 187,500 USD; at most 100,000 per order: ceil(1.875) = 2 children of
    # 1,250 lots (0.001 BTC) each = 1.25 BTC, 93,750 USD
    out = run(make_book(max_order_usd=100000))
    assert [(o.contracts, o.notional_usd, o.child) for o in out.orders] == [
        (pytest.approx(1.25), pytest.approx(93750), 0), (pytest.approx(1.25), pytest.approx(93750), 1)]
    assert len({o.client_order_id for o in out.orders}) == 2
    assert split_lots(7, 3) == [3, 2, 2] and split_lots(2, 5) == [1, 1] and sum(split_lots(2500, 2)) == 2500


def test_limit_price_is_mark_minus_or_plus_max_slippage_on_the_tick_grid():
    # sell 75,000 * (1 - 0.002) = 74,850 exactly
    (order,) = run(make_book(max_slippage=0.002)).orders
    assert order.order_type == "limit" and order.limit_price == pytest.approx(74850.0)
    # 2400.004 * 1.002 = 2404.804008: a buy rounds down to 2404.80 (never beyond the bound);
    # 2400.004 * 0.998 = 2395.203992: a sell rounds up to 2395.21
    assert limit_price("buy", 2400.004, 0.002, 0.01) == pytest.approx(2404.80)
    assert limit_price("sell", 2400.004, 0.002, 0.01) == pytest.approx(2395.21)
    (market,) = run(make_book(order_type="market")).orders
    assert market.limit_price is None and market.order_type == "market"


def test_a_reduction_is_sent_reduce_only_and_a_flip_is_split_in_two():
    # held -3, target -2.5: buy 0.5, all of it reduces
    (order,) = run(make_book(), [short("BTCUSDT", 3)]).orders
    assert (order.side, order.contracts, order.reduce_only) == ("buy", pytest.approx(0.5), True)
    # held +1 long, target -2.5: sell 3.5 = reduce 1 (reduce-only) + open 2.5
    long = HeldPosition(venue="binance-usdm", symbol="BTCUSDT", side=Side.LONG, contracts=1,
                        account="paper")
    out = run(make_book(), [long])
    assert [(o.contracts, o.reduce_only) for o in out.orders] == [(1, True), (pytest.approx(2.5), False)]
    off = run(make_book(reduce_only="off", max_order_usd=1e6), [long]).orders
    assert [(o.contracts, o.reduce_only) for o in off] == [(pytest.approx(3.5), False)]


def test_min_notional_names_the_numbers():
    # 1.4 SOL at 4 USD rounds to 1 SOLUSDT contract (lot 1) = 4 USD < 5 USDT minimum
    book = make_book(holdings=[{"asset": "SOL", "amount": 1.4}], prices={"SOL": 4})
    out = run(book)
    assert out.orders == ()
    assert out.skipped[0].reason == "min-notional: 1 SOLUSDT is 4.00 USD < the venue's minimum 5"


def test_daily_limit_counts_what_the_journal_sent_and_this_run():
    book = make_book(max_order_usd=100000, max_daily_usd=1_000_000)
    # 900,000 sent; first child 93,750 -> 993,750 fits, the second would make 1,087,500
    out = run(book, daily_used={"paper": 900_000})
    assert len(out.orders) == 1
    assert out.skipped[0].reason == ("max_daily_usd: paper sent 993,750 USD in 24 h; "
                                     "993,750 + 93,750 > 1,000,000")


def test_halt_blocks_every_order_and_says_how_to_resume():
    out = run(make_book(), halted="since 2026-01-01")
    assert out.orders == ()
    assert out.skipped[0].reason.startswith("halt: the book is halted (since 2026-01-01)")


def test_slippage_guard_refuses_a_market_that_moved_more_than_max_slippage():
    # 75,300 / 75,000 - 1 = 0.40% > 0.20%
    out = run(make_book(), marks={"BTC": 75300})
    assert out.orders == ()
    assert out.skipped[0].reason.startswith("slippage: BTC moved 0.40% from the plan's 75,000 to 75,300")
    assert len(run(make_book(), marks={"BTC": 75100}).orders) == 1  # 0.13%: sent


def test_a_trade_without_an_account_is_not_sent():
    out = run(make_book(accounts=()), [short("BTCUSDT", 1, account=None)])
    assert out.orders == () and out.skipped[0].reason.startswith("account: no account of the book trades binance-usdm")


def test_the_same_plan_gives_the_same_ids_and_another_held_state_other_ones():
    book = make_book()
    first, again = run(book), run(book)
    assert [o.client_order_id for o in first.orders] == [o.client_order_id for o in again.orders]
    other = run(book, [short("BTCUSDT", 1)])
    assert other.plan_id != first.plan_id


@pytest.mark.parametrize("rules, shape", [
    # Binance newClientOrderId: ^[\.A-Z\:/a-z0-9_-]{1,36}$
    ((36, r"[\.A-Z\:/a-z0-9_-]{1,36}"), r"hk[0-9a-f]{14}l3c1a2"),
    # OKX clOrdId: letters and digits, 1-32
    ((32, r"[A-Za-z0-9]{1,32}"), r"hk[0-9a-f]{14}l3c1a2"),
    # Hyperliquid cloid: 0x + 32 hex digits
    ((34, r"0x[0-9a-f]{32}"), r"0x[0-9a-f]{32}"),
    # a venue that only takes a 32-bit number
    ((10, r"[0-9]+"), r"[0-9]{1,10}"),
])
def test_client_order_ids_fit_each_venue_rule_and_are_deterministic(rules, shape):
    cid = client_order_id("book", "0123456789", 3, 1, 2, rules)
    assert re.fullmatch(shape, cid)
    assert cid == client_order_id("book", "0123456789", 3, 1, 2, rules)
    assert cid != client_order_id("book", "0123456789", 3, 1, 3, rules)
    with pytest.raises(ValueError):
        client_order_id("book", "0123456789", 3, 1, 2, (4, r"[a-z]+"))


@pytest.mark.parametrize("execution, field, message", [
    ({"band": -0.1}, "execution.band", "must be >= 0"),
    ({"order_type": "stop"}, "execution.order_type", "must be one of limit or market"),
    ({"max_slippage": 0}, "execution.max_slippage", "must be > 0"),
    ({"timeout_s": "soon"}, "execution.timeout_s", "must be a duration"),
    ({"max_order_usd": 0}, "execution.max_order_usd", "must be > 0"),
    ({"max_daily_usd": -1}, "execution.max_daily_usd", "must be > 0"),
    ({"reduce_only": "yes"}, "execution.reduce_only", "must be one of auto or off"),
    ({"bands": 1}, "execution.bands", "unknown field"),
])
def test_execution_section_errors_name_the_field(execution, field, message):
    with pytest.raises(InputError) as err:
        make_book(**execution)
    assert str(err.value).startswith(f"{field}: {message}")


def test_execution_defaults_and_durations():
    e = make_book(timeout_s="2m").execution
    assert (e.band, e.order_type, e.max_slippage, e.timeout_s, e.max_order_usd, e.max_daily_usd,
            e.reduce_only) == (0.05, "limit", 0.002, 120.0, 250000.0, 1000000.0, "auto")


@pytest.mark.parametrize("account, field, message", [
    ({"name": "p", "venue": "paper", "base": "kraken"}, "accounts[0].base", "unknown venue"),
    ({"name": "p", "venue": "paper", "base": "okx", "cash": {"USDT": -1}}, "accounts[0].cash.USDT",
     "must be a finite amount >= 0"),
    ({"name": "m", "venue": "okx", "key_env": "OKX", "base": "okx"}, "accounts[0].base",
     "only paper accounts"),
])
def test_paper_account_fields_are_checked(account, field, message):
    with pytest.raises(InputError) as err:
        make_book(accounts=[account])
    assert str(err.value).startswith(f"{field}: {message}")
