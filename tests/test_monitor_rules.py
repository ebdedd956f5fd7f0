"""The alert rules on recorded state sequences (issue 12): an alert fires once, is not repeated
within the cooldown, and a recovery follows when its condition clears. States here are written
by hand in the recorded shape (``hedgekit.monitor.state.measure``'s dict); every expected event
follows from the thresholds and times in the test itself."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from hedgekit.errors import InputError
from hedgekit.monitor.rules import Memory, evaluate, step
from hedgekit.portfolio import parse_portfolio
from hedgekit.portfolio.schema import AlertSettings

T0 = datetime(2026, 12, 2, 6, 0, tzinfo=UTC)
HOUR = 3600.0


def _leg(**kw):
    base = {"venue": "binance-usdm", "symbol": "ETHUSDT", "side": "short", "account": None,
            "mark": 2400.0, "liquidation_price": None, "liquidation_distance": None,
            "margin_ratio": None, "funding_apr": None, "funding_per_day_usd": None, "basis_apr": None}
    return {**base, **kw}


def _state(minutes: float, legs=(), coins=None, prices=None, accounts=None):
    return {"ts": (T0 + timedelta(minutes=minutes)).isoformat(), "legs": list(legs),
            "coins": coins or {}, "prices": prices or {}, "accounts": accounts or {}}


def _run(states, settings, memory=None):
    """Thread the memory through a sequence of states, as the monitor does cycle after cycle;
    the (minute, state, key) of every event."""
    memory = dict(memory or {})
    out = []
    for minutes, state in states:
        events, memory = step(evaluate(state, settings, clear=True), memory,
                              T0 + timedelta(minutes=minutes), settings.cooldown)
        out += [(minutes, e.state, e.key) for e in events]
    return out, memory


def _distance_states(values):
    """One cycle a minute; the ETH leg's liquidation distance takes each value in turn."""
    return [(m, _state(m, [_leg(liquidation_distance=d, liquidation_price=2400 * (1 + d))]))
            for m, d in values]


LIQ = AlertSettings(liquidation_distance=0.15, cooldown="1h")
KEY = "liquidation_distance:ETHUSDT@binance-usdm short"


def test_an_alert_fires_once_while_its_condition_holds():
    states = _distance_states([(0, 0.30), (1, 0.12), (2, 0.10), (3, 0.11), (30, 0.05)])
    events, _ = _run(states, LIQ)
    assert events == [(1, "fired", KEY)]  # 0.30 >= 0.15 is fine; 0.12 < 0.15 fires, then silence


def test_a_condition_still_holding_is_repeated_after_the_cooldown_only():
    states = _distance_states([(0, 0.10), (59, 0.10), (60, 0.10), (119, 0.10), (120, 0.10)])
    events, _ = _run(states, LIQ)
    # cooldown 1h: minute 0, then 60 (60 - 0 >= 60), then 120
    assert events == [(0, "fired", KEY), (60, "fired", KEY), (120, "fired", KEY)]


def test_a_recovery_follows_once_when_the_condition_clears():
    states = _distance_states([(0, 0.10), (5, 0.20), (6, 0.25)])
    events, memory = _run(states, LIQ)
    assert events == [(0, "fired", KEY), (5, "recovered", KEY)]
    assert memory[KEY] == Memory(last_fired=T0, notified=False)
    # the recovery quotes where the leg stands now: 2,400 * 1.20 = 2,880, 20% from the mark
    (recovered,), _ = step(evaluate(states[1][1], LIQ, clear=True), {KEY: Memory(last_fired=T0, notified=True)},
                           T0 + timedelta(minutes=5), HOUR)
    assert recovered.message == ("recovered: ETHUSDT@binance-usdm short: liquidation price 2,880.00 is "
                                 "20.0% from the mark 2,400.00 (alert below 15.0%)")
    assert (recovered.severity, recovered.value) == ("info", 0.20)
    # a leg that is gone (closed) recovers too, saying so
    (gone,), _ = step([], {KEY: Memory(last_fired=T0, notified=True)}, T0, HOUR)
    assert gone.message == "recovered: ETHUSDT@binance-usdm short: no longer held or measured"


def test_a_flapping_condition_sends_one_alert_per_cooldown_and_no_orphan_recovery():
    # fires at 0, clears at 5 (recovery), comes back at 10 and 20 (within 1h of 0: silent),
    # clears at 15 and 25 (nothing was sent, so no recovery is owed), holds at 61: due again
    states = _distance_states([(0, 0.10), (5, 0.20), (10, 0.10), (15, 0.20), (20, 0.10),
                               (25, 0.20), (61, 0.10), (62, 0.30)])
    events, _ = _run(states, LIQ)
    assert events == [(0, "fired", KEY), (5, "recovered", KEY), (61, "fired", KEY),
                      (62, "recovered", KEY)]


def test_each_subject_has_its_own_alert():
    legs = [_leg(liquidation_distance=0.10, liquidation_price=2640.0),
            _leg(symbol="BTCUSDT", mark=75000.0, liquidation_distance=0.12, liquidation_price=84000.0)]
    events, _ = _run([(0, _state(0, legs))], LIQ)
    assert sorted(k for _, _, k in events) == ["liquidation_distance:BTCUSDT@binance-usdm short", KEY]


def test_memory_from_an_earlier_run_is_honoured():
    # what load_memory gives a --once run under cron: fired 30 minutes ago, not recovered
    memory = {KEY: Memory(last_fired=T0 - timedelta(minutes=30), notified=True)}
    events, _ = _run(_distance_states([(0, 0.10)]), LIQ, memory)
    assert events == []
    events, _ = _run(_distance_states([(0, 0.40)]), LIQ, memory)
    assert events == [(0, "recovered", KEY)]


def test_messages_name_the_leg_and_the_values():
    state = _state(0, [_leg(liquidation_distance=0.10, liquidation_price=2640.0)])
    (cond,) = evaluate(state, LIQ)
    # distance (2,640 - 2,400) / 2,400 = 10% as recorded
    assert cond.message == ("ETHUSDT@binance-usdm short: liquidation price 2,640.00 is 10.0% from "
                            "the mark 2,400.00 (alert below 15.0%)")
    (event,), _ = step([cond], {}, T0, HOUR)
    assert (event.severity, event.value, event.threshold) == ("critical", 0.10, 0.15)


@pytest.mark.parametrize(("settings", "leg", "fires"), [
    # margin ratio = maintenance / equity: above the threshold fires
    (AlertSettings(margin_ratio=0.5), {"margin_ratio": 0.51}, True),
    (AlertSettings(margin_ratio=0.5), {"margin_ratio": 0.5}, False),
    # funding as a yearly rate received by the position: -12% a year is below -10%
    (AlertSettings(funding_apr_below=-0.10), {"funding_apr": -0.12, "funding_per_day_usd": -79.0}, True),
    (AlertSettings(funding_apr_below=-0.10), {"funding_apr": -0.09, "funding_per_day_usd": -59.0}, False),
    # basis earned by the position: -6% a year is below -5%
    (AlertSettings(basis_apr_below=-0.05), {"basis_apr": -0.06, "expiry": "2026-12-25T08:00:00+00:00"}, True),
    (AlertSettings(basis_apr_below=-0.05), {"basis_apr": 0.02, "expiry": "2026-12-25T08:00:00+00:00"}, False),
    # a rule left out of alerts: is off whatever the value
    (AlertSettings(), {"margin_ratio": 0.99, "funding_apr": -5.0, "liquidation_distance": 0.01,
                       "liquidation_price": 2424.0}, False),
])
def test_leg_rules_fire_beyond_their_threshold(settings, leg, fires):
    assert bool(evaluate(_state(0, [_leg(**leg)]), settings)) is fires


def test_drift_fires_per_coin_and_for_a_hedge_the_plan_does_not_want():
    coins = {
        # |-100 - (-150)| / 150 = 33% > 5%
        "ETH": {"target_coin": -150.0, "held_coin": -100.0, "drift": 1 / 3, "unplanned": False},
        # |-9.8 - (-10)| / 10 = 2% < 5%
        "BTC": {"target_coin": -10.0, "held_coin": -9.8, "drift": 0.02, "unplanned": False},
        # held, target 0: no ratio, but a hedge nobody asked for
        "SOL": {"target_coin": 0.0, "held_coin": -20.0, "drift": None, "unplanned": True},
    }
    conds = evaluate(_state(0, coins=coins), AlertSettings(drift=0.05))
    assert [c.subject for c in conds] == ["ETH", "SOL"]
    assert "drift 33.3%, alert above 5.0%" in conds[0].message


def test_stale_prices_and_account_snapshots():
    now = 0.0
    prices = {
        "BTC": {"value": 75000.0, "source": "live:binance-usdm", "as_of": (T0 - timedelta(minutes=6)).isoformat()},
        "ETH": {"value": 2400.0, "source": "live:binance-usdm", "as_of": (T0 - timedelta(minutes=4)).isoformat()},
        "SOL": {"value": 150.0, "source": "file", "as_of": None},  # typed in: taken as stated
    }
    accounts = {"main": {"ok": False, "failures": 1, "as_of": (T0 - timedelta(hours=2)).isoformat()}}
    conds = evaluate(_state(now, prices=prices, accounts=accounts), AlertSettings(stale_after="5m"))
    # 6 min > 5 min and 2 h > 5 min; 4 min is fresh
    assert [(c.subject, c.value) for c in conds] == [("price BTC", 360.0), ("account main", 7200.0)]


def test_sync_failures_fire_at_the_count():
    settings = AlertSettings(sync_failures=3)
    two = {"b": {"ok": False, "failures": 2, "error": "binance-usdm: timed out", "as_of": None}}
    three = {"b": {**two["b"], "failures": 3}}
    assert evaluate(_state(0, accounts=two), settings) == []
    (cond,) = evaluate(_state(0, accounts=three), settings)
    assert cond.message.startswith("account b: 3 syncs in a row failed (binance-usdm: timed out)")


def test_alerts_section_parses_durations_and_names_bad_fields():
    book = parse_portfolio({"holdings": [{"asset": "BTC", "amount": 1}],
                            "alerts": {"notify": "json://127.0.0.1:1/", "stale_after": "5m",
                                       "cooldown": "1h", "drift": 0.05}})
    a = book.alerts
    assert (a.notify, a.stale_after, a.cooldown, a.drift, a.sync_failures) == (
        ["json://127.0.0.1:1/"], 300.0, 3600.0, 0.05, 3)
    assert parse_portfolio({"holdings": [{"asset": "BTC", "amount": 1}]}).alerts.liquidation_distance is None
    for alerts, message in [
        ({"cooldown": "soon"}, "alerts.cooldown: must be a duration like 90s, 15m, 1h or 2d (got 'soon')"),
        ({"liquidation_distance": 1.5}, "alerts.liquidation_distance: must be < 1 (got 1.5)"),
        ({"sync_failures": 0}, "alerts.sync_failures: must be >= 1 (got 0)"),
        ({"drfit": 0.1}, "alerts.drfit: unknown field (got 0.1)"),
    ]:
        with pytest.raises(InputError) as exc:
            parse_portfolio({"holdings": [{"asset": "BTC", "amount": 1}], "alerts": alerts})
        assert str(exc.value) == message
