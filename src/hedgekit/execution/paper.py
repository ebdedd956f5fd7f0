"""The paper venue: an account that trades against the market snapshot instead of an exchange.

``{name: paper, venue: paper, base: binance-usdm, cash: {USDT: 100000}}`` simulates the
``base`` venue: its contracts, lot sizes, minimum notionals, maximum order sizes (when the
contract has one: a synced market's) and taker fee. An order fills at
the snapshot's mark moved ``PAPER_SLIPPAGE`` against it (a limit order only when that price is
within its limit; otherwise it rests until it can fill, is cancelled or times out). A
reduce-only order that would increase or flip the position is rejected, and so is an order
whose initial margin (notional / the book's leverage) exceeds the free balance. Positions,
balances (fees, realised PnL and funding) and orders are kept in the journal's SQLite file, in
their own tables: they are the *venue's* state, committed separately from the journal's
orders, so a crash between the two is the same problem as with a real exchange.

Funding is settled every ``funding_interval_hours`` of the base venue (at multiples of it
since 00:00 UTC) at the snapshot's funding rate of the contract, else the book's
``default_funding_rate_8h``, on the mark: ``-side * notional_settle * rate`` (received when
positive; :meth:`hedgekit.instruments.Instrument.funding`).
"""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from hedgekit.accounts.config import AccountConfig
from hedgekit.accounts.models import AccountState, Balance, OpenOrder, Position
from hedgekit.errors import InputError
from hedgekit.execution._faults import crash_point
from hedgekit.execution._seam import FINAL, OrderRequest, OrderResult
from hedgekit.execution.journal import connect, journal_path, transaction
from hedgekit.instruments import Instrument, MarginMode, Side, average_entry
from hedgekit.market.snapshot import MarketSnapshot
from hedgekit.planner.trades import HeldPosition
from hedgekit.venues import VenuePreset, get_venue

__all__ = ["PAPER_SLIPPAGE", "PaperVenue", "account_states", "held_positions", "paper_accounts"]

PAPER_SLIPPAGE = 0.0005  # fills 5 bp worse than the mark
MAX_FUNDING_SETTLEMENTS = 1000  # settled at most this many intervals back (a paper account left for months)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS paper_accounts(account TEXT PRIMARY KEY, base TEXT NOT NULL,
  created_at TEXT NOT NULL, funding_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS paper_balances(account TEXT NOT NULL, currency TEXT NOT NULL,
  total REAL NOT NULL, PRIMARY KEY(account, currency));
CREATE TABLE IF NOT EXISTS paper_positions(account TEXT NOT NULL, symbol TEXT NOT NULL,
  contracts REAL NOT NULL, entry_price REAL, PRIMARY KEY(account, symbol));
CREATE TABLE IF NOT EXISTS paper_orders(account TEXT NOT NULL, client_order_id TEXT NOT NULL,
  venue_order_id TEXT NOT NULL, symbol TEXT NOT NULL, side TEXT NOT NULL, contracts REAL NOT NULL,
  order_type TEXT NOT NULL, limit_price REAL, reduce_only INTEGER NOT NULL, status TEXT NOT NULL,
  filled_contracts REAL NOT NULL, average_price REAL, fee REAL, fee_currency TEXT, message TEXT,
  created_at TEXT NOT NULL, updated_at TEXT NOT NULL, PRIMARY KEY(account, client_order_id));
CREATE TABLE IF NOT EXISTS paper_funding(account TEXT NOT NULL, symbol TEXT NOT NULL,
  at TEXT NOT NULL, rate REAL NOT NULL, amount REAL NOT NULL, currency TEXT NOT NULL);
"""

# the venues' own wording for the rejections the paper venue models (Binance USD-M error codes,
# https://developers.binance.com/docs/derivatives/usds-margined-futures/error-code)
_REJECT = {
    "reduce-only": "ReduceOnly Order is rejected.",       # -2022
    "insufficient-margin": "Margin is insufficient.",     # -2019
    "duplicate-client-id": "Duplicate clientOrderId.",    # -4116 (reworded)
    "max-quantity": "Quantity greater than max quantity.",  # -4005, reason lot-size
}


def paper_accounts(book: Any) -> list[tuple[int, AccountConfig]]:
    """The book's paper accounts with their index in ``accounts:``; InputError naming
    ``accounts[i].base`` for one without a base venue."""
    out = []
    for i, cfg in enumerate(book.accounts):
        if cfg.is_paper:
            if cfg.base is None:
                raise InputError(f"accounts[{i}].base", "a paper account needs base: the venue "
                                 "it simulates, e.g. binance-usdm", show_value=False)
            out.append((i, cfg))
    return out


class PaperVenue:
    """One paper account, as a venue the executor sends to."""

    def __init__(self, config: AccountConfig, market: MarketSnapshot, *, leverage: float,
                 default_funding_8h: float = 0.0001, path: Path | None = None,
                 data_dir: str | Path | None = None, now: Callable[[], datetime] | None = None):
        if config.base is None:
            raise InputError("base", "a paper account needs base", show_value=False)
        self.config = config
        self.account = config.name
        self.name = config.base
        self.preset: VenuePreset = market.venue(config.base)
        self.market = market
        self.leverage = leverage
        self.default_funding_8h = default_funding_8h
        self.now = now or (lambda: datetime.now(UTC))
        self.conn = _open(path or journal_path(data_dir))
        self._init_account()
        self.settle_funding()

    # ------------------------------------------------------------ venue calls
    def id_rules(self) -> tuple[int, str]:
        from hedgekit.execution.ids import ANY_ID

        return ANY_ID

    def place(self, req: OrderRequest) -> OrderResult:
        at = self.now().isoformat()
        with transaction(self.conn) as c:
            if self._row(c, req.client_order_id) is not None:
                return self._result_of(req, "rejected", _REJECT["duplicate-client-id"])
            problem = self._check(c, req)
            status = "rejected" if problem else "open"
            seq = c.execute("SELECT COUNT(*) FROM paper_orders").fetchone()[0] + 1
            c.execute("INSERT INTO paper_orders VALUES (?,?,?,?,?,?,?,?,?,?,0,NULL,NULL,NULL,?,?,?)",
                      (self.account, req.client_order_id, f"paper-{seq}", req.symbol, req.side,
                       req.contracts, req.order_type, req.limit_price, int(req.reduce_only),
                       status, problem, at, at))
        if problem is None:
            crash_point("after-accept")
            self._match(req.client_order_id)
        return self._fetch(req.client_order_id)  # type: ignore[return-value]

    def fetch(self, symbol: str, client_order_id: str) -> OrderResult | None:
        self._match(client_order_id)
        return self._fetch(client_order_id)

    def cancel(self, symbol: str, client_order_id: str) -> OrderResult:
        at = self.now().isoformat()
        with transaction(self.conn) as c:
            row = self._row(c, client_order_id)
            if row is None:
                raise InputError("client_order_id", "unknown order", client_order_id)
            if row["status"] not in FINAL:
                c.execute("UPDATE paper_orders SET status='canceled', message=?, updated_at=?"
                          " WHERE account=? AND client_order_id=?",
                          ("canceled by the user", at, self.account, client_order_id))
        return self._fetch(client_order_id)  # type: ignore[return-value]

    def open_orders(self) -> list[OrderResult]:
        rows = self.conn.execute("SELECT client_order_id FROM paper_orders WHERE account=? AND"
                                 " status IN ('open','partially_filled')", (self.account,))
        return [r for cid, in rows if (r := self._fetch(cid)) is not None]

    # ------------------------------------------------------------ the simulation
    def mark(self, inst: Instrument) -> float | None:
        point = self.market.prices.get(inst.base)
        return None if point is None else point.value

    def _check(self, c: sqlite3.Connection, req: OrderRequest) -> str | None:
        """Why the venue refuses ``req`` at once, or None."""
        try:
            inst = self.preset.instrument(req.symbol)
        except InputError:
            return f"unknown symbol {req.symbol}"
        mark = self.mark(inst)
        if mark is None:
            return f"no mark price for {inst.base}"
        lots = req.contracts / inst.lot_size
        if req.contracts <= 0 or abs(lots - round(lots)) > 1e-9 * max(1.0, lots):
            return f"quantity {req.contracts:g} is not a multiple of the lot {inst.lot_size:g}"
        cap = inst.max_order_contracts
        if cap is not None and req.contracts > cap * (1 + 1e-9):
            return f"{_REJECT['max-quantity']} (lot-size)"  # worded as a live rejection is journaled
        if inst.min_notional and inst.notional_usd(req.contracts, mark, 1.0) < inst.min_notional - 1e-9:
            return f"order notional below the minimum {inst.min_notional:g}"
        if req.order_type == "limit" and not req.limit_price:
            return "a limit order needs a price"
        held = self._position(c, req.symbol)[0]
        signed = req.contracts if req.side == "buy" else -req.contracts
        if req.reduce_only and not _reduces(held, signed):
            return _REJECT["reduce-only"]
        opened = max(0.0, abs(held + signed) - abs(held)) if (held + signed) * held >= 0 else abs(held + signed)
        if opened > 0:
            need = inst.notional_settle(opened, mark) / self.leverage + inst.fee(
                req.contracts, mark, self.preset.taker_fee)
            if need > self._free(c, inst.settle) + 1e-9:
                return _REJECT["insufficient-margin"]
        return None

    def _match(self, client_order_id: str) -> None:
        """Fill ``client_order_id`` if it is open and the mark (plus slippage) is within its limit."""
        at = self.now().isoformat()
        with transaction(self.conn) as c:
            row = self._row(c, client_order_id)
            if row is None or row["status"] in FINAL:
                return
            inst = self.preset.instrument(row["symbol"])
            mark = self.mark(inst)
            if mark is None:
                return
            buy = row["side"] == "buy"
            price = mark * (1 + PAPER_SLIPPAGE) if buy else mark * (1 - PAPER_SLIPPAGE)
            limit = row["limit_price"]
            if row["order_type"] == "limit" and (price > limit if buy else price < limit):
                return  # rests on the book
            qty = row["contracts"] - row["filled_contracts"]
            held, entry = self._position(c, row["symbol"])
            signed = qty if buy else -qty
            if row["reduce_only"] and not _reduces(held, signed):
                c.execute("UPDATE paper_orders SET status='expired', message=?, updated_at=?"
                          " WHERE account=? AND client_order_id=?",
                          (_REJECT["reduce-only"], at, self.account, client_order_id))
                return
            fee = inst.fee(qty, price, self.preset.taker_fee)
            self._apply_fill(c, inst, held, entry, signed, price, fee)
            c.execute("UPDATE paper_orders SET status='filled', filled_contracts=?, average_price=?,"
                      " fee=?, fee_currency=?, updated_at=? WHERE account=? AND client_order_id=?",
                      (row["contracts"], price, fee, inst.settle, at, self.account, client_order_id))

    def _apply_fill(self, c: sqlite3.Connection, inst: Instrument, held: float, entry: float | None,
                    signed: float, price: float, fee: float) -> None:
        new = held + signed
        realised = 0.0
        new_entry: float | None
        if held == 0 or (held > 0) == (signed > 0):  # opening or adding
            new_entry = price if held == 0 else average_entry(inst, [(abs(held), entry or price),
                                                                     (abs(signed), price)])
        else:
            closed = min(abs(held), abs(signed))
            side = Side.LONG if held > 0 else Side.SHORT
            realised = inst.pnl(side, closed, entry or price, price)
            new_entry = entry if abs(signed) < abs(held) else (price if new != 0 else None)
        if abs(new) <= 1e-9 * max(1.0, abs(held), abs(signed)):
            c.execute("DELETE FROM paper_positions WHERE account=? AND symbol=?", (self.account, inst.symbol))
        else:
            c.execute("INSERT OR REPLACE INTO paper_positions VALUES (?,?,?,?)",
                      (self.account, inst.symbol, inst.round_contracts(abs(new), "nearest") * math.copysign(1, new),
                       new_entry))
        self._credit(c, inst.settle, realised - fee)

    def settle_funding(self) -> None:
        """Pay or receive funding for every settlement since the last one."""
        now = self.now()
        hours = self.preset.funding_interval_hours
        with transaction(self.conn) as c:
            last = datetime.fromisoformat(c.execute(
                "SELECT funding_at FROM paper_accounts WHERE account=?", (self.account,)).fetchone()[0])
            step = timedelta(hours=hours)
            epoch = datetime(1970, 1, 1, tzinfo=UTC)
            first = epoch + step * (math.floor((last - epoch) / step) + 1)
            times: list[datetime] = []
            t = first
            while t <= now and len(times) < MAX_FUNDING_SETTLEMENTS:
                times.append(t)
                t += step
            if not times:
                return
            rows = c.execute("SELECT symbol, contracts FROM paper_positions WHERE account=?",
                             (self.account,)).fetchall()
            for symbol, contracts in rows:
                inst = self.preset.instrument(symbol)
                mark = self.mark(inst)
                if mark is None:
                    continue
                point = self.market.funding_for(self.preset.name, symbol)
                rate_8h = point.rate_8h if point is not None else self.default_funding_8h
                rate = rate_8h * hours / 8.0
                side = Side.LONG if contracts > 0 else Side.SHORT
                for when in times:
                    amount = inst.funding(side, abs(contracts), mark, rate)
                    c.execute("INSERT INTO paper_funding VALUES (?,?,?,?,?,?)",
                              (self.account, symbol, when.isoformat(), rate, amount, inst.settle))
                    self._credit(c, inst.settle, amount)
            c.execute("UPDATE paper_accounts SET funding_at=? WHERE account=?",
                      (times[-1].isoformat(), self.account))

    # ------------------------------------------------------------ state
    def state(self) -> AccountState:
        """Balances, positions and open orders, as a synced account reports them."""
        return _state(self.conn, self.config, self.market, self.leverage, self.now())

    def _init_account(self) -> None:
        at = self.now().isoformat()
        with transaction(self.conn) as c:
            if c.execute("SELECT 1 FROM paper_accounts WHERE account=?", (self.account,)).fetchone():
                return
            c.execute("INSERT INTO paper_accounts VALUES (?,?,?,?)", (self.account, self.name, at, at))
            for currency, amount in (self.config.cash or {}).items():
                c.execute("INSERT INTO paper_balances VALUES (?,?,?)", (self.account, currency, amount))

    def _credit(self, c: sqlite3.Connection, currency: str, amount: float) -> None:
        c.execute("INSERT INTO paper_balances VALUES (?,?,?) ON CONFLICT(account, currency)"
                  " DO UPDATE SET total = total + excluded.total", (self.account, currency, amount))

    def _free(self, c: sqlite3.Connection, currency: str) -> float:
        row = c.execute("SELECT total FROM paper_balances WHERE account=? AND currency=?",
                        (self.account, currency)).fetchone()
        total = row[0] if row else 0.0
        return total - _used(c, self.account, self.preset, self.market, self.leverage, currency)

    def _position(self, c: sqlite3.Connection, symbol: str) -> tuple[float, float | None]:
        row = c.execute("SELECT contracts, entry_price FROM paper_positions WHERE account=? AND symbol=?",
                        (self.account, symbol)).fetchone()
        return (0.0, None) if row is None else (row[0], row[1])

    def _row(self, c: sqlite3.Connection, cid: str) -> sqlite3.Row | None:
        return c.execute("SELECT * FROM paper_orders WHERE account=? AND client_order_id=?",
                         (self.account, cid)).fetchone()

    def _fetch(self, cid: str) -> OrderResult | None:
        row = self._row(self.conn, cid)
        if row is None:
            return None
        return OrderResult(
            client_order_id=cid, venue_order_id=row["venue_order_id"], symbol=row["symbol"],
            side=row["side"], status=row["status"], contracts=row["contracts"],
            filled_contracts=row["filled_contracts"], average_price=row["average_price"],
            fee=row["fee"], fee_currency=row["fee_currency"], message=row["message"],
            as_of=datetime.fromisoformat(row["updated_at"]))

    def _result_of(self, req: OrderRequest, status: str, message: str) -> OrderResult:
        return OrderResult(client_order_id=req.client_order_id, venue_order_id=None,
                           symbol=req.symbol, side=req.side, status=status,
                           contracts=req.contracts, filled_contracts=0.0, average_price=None,
                           fee=None, fee_currency=None, message=message, as_of=self.now())


def _reduces(held: float, signed: float) -> bool:
    """Whether a trade of ``signed`` contracts only reduces ``held`` (never flips or adds)."""
    return held != 0 and (held > 0) != (signed > 0) and abs(signed) <= abs(held) + 1e-12


def _open(path: Path) -> sqlite3.Connection:
    conn = connect(path)
    conn.executescript(_SCHEMA)
    return conn


def _used(c: sqlite3.Connection, account: str, preset: VenuePreset, market: MarketSnapshot,
          leverage: float, currency: str) -> float:
    """Initial margin of ``account``'s positions settled in ``currency``, at the mark."""
    used = 0.0
    for symbol, contracts in c.execute("SELECT symbol, contracts FROM paper_positions WHERE account=?",
                                       (account,)):
        inst = preset.instrument(symbol)
        point = market.prices.get(inst.base)
        if inst.settle == currency and point is not None:
            used += inst.notional_settle(abs(contracts), point.value) / leverage
    return used


def _state(conn: sqlite3.Connection, cfg: AccountConfig, market: MarketSnapshot, leverage: float,
           now: datetime) -> AccountState:
    preset = market.venue(cfg.base or "")
    positions = []
    for symbol, contracts, entry in conn.execute(
            "SELECT symbol, contracts, entry_price FROM paper_positions WHERE account=? ORDER BY symbol",
            (cfg.name,)):
        inst = preset.instrument(symbol)
        point = market.prices.get(inst.base)
        mark = None if point is None else point.value
        side = Side.LONG if contracts > 0 else Side.SHORT
        size = abs(contracts)
        positions.append(Position(
            account=cfg.name, venue=preset.name, symbol=symbol, contract_type=inst.contract_type,
            side=side, contracts=size, contract_size=inst.contract_size, entry_price=entry,
            mark_price=mark,
            notional_usd=(inst.notional_usd(size, mark, 1.0) if mark and not inst.is_quanto else None),
            unrealized_pnl=(inst.pnl(side, size, entry, mark) if mark and entry else None),
            pnl_currency=inst.settle, margin_mode=MarginMode.CROSS, leverage=leverage,
            liquidation_price_venue=None, funding_rate=None, next_funding_time=None, as_of=now))
    balances = []
    for currency, total in conn.execute(
            "SELECT currency, total FROM paper_balances WHERE account=? ORDER BY currency", (cfg.name,)):
        used = _used(conn, cfg.name, preset, market, leverage, currency)
        balances.append(Balance(account=cfg.name, currency=currency, total=total,
                                free=total - used, used=used))
    orders = [OpenOrder(account=cfg.name, symbol=r["symbol"], side=Side.LONG if r["side"] == "buy" else Side.SHORT,
                        contracts=r["contracts"] - r["filled_contracts"], price=r["limit_price"],
                        order_type=r["order_type"], reduce_only=bool(r["reduce_only"]),
                        order_id=r["venue_order_id"], as_of=now)
              for r in conn.execute("SELECT * FROM paper_orders WHERE account=? AND status IN"
                                    " ('open','partially_filled')", (cfg.name,))]
    return AccountState(account=cfg.name, venue=preset.name, as_of=now, balances=tuple(balances),
                        positions=tuple(positions), open_orders=tuple(orders), skipped=())


def _existing(data_dir: str | Path | None) -> sqlite3.Connection | None:
    """The journal file if it exists and has paper tables (reading never creates one)."""
    path = journal_path(data_dir)
    if not path.exists():
        return None
    conn = connect(path)
    if conn.execute("SELECT 1 FROM sqlite_master WHERE name='paper_positions'").fetchone() is None:
        conn.close()
        return None
    return conn


def held_positions(book: Any, data_dir: str | Path | None = None) -> list[HeldPosition]:
    """What the book's paper accounts hold, as the planner's held positions (empty before the
    first paper order). For ``hedgekit plan`` / ``rebalance`` beside the synced accounts."""
    accounts = paper_accounts(book)
    conn = _existing(data_dir) if accounts else None
    if conn is None:
        return []
    out = []
    try:
        for _, cfg in accounts:
            for symbol, contracts, entry in conn.execute(
                    "SELECT symbol, contracts, entry_price FROM paper_positions WHERE account=?"
                    " ORDER BY symbol", (cfg.name,)):
                out.append(HeldPosition(venue=get_venue(cfg.base or "").name, symbol=symbol,
                                        side=Side.LONG if contracts > 0 else Side.SHORT,
                                        contracts=abs(contracts), entry_price=entry, account=cfg.name))
    finally:
        conn.close()
    return out


def account_states(book: Any, market: MarketSnapshot, data_dir: str | Path | None = None,
                   now: datetime | None = None) -> tuple[AccountState, ...]:
    """The paper accounts' balances, positions and open orders (for ``hedgekit positions``)."""
    accounts = paper_accounts(book)
    conn = _existing(data_dir) if accounts else None
    if conn is None:
        return ()
    try:
        return tuple(_state(conn, cfg, market, book.hedge.leverage, now or datetime.now(UTC))
                     for _, cfg in accounts
                     if conn.execute("SELECT 1 FROM paper_accounts WHERE account=?", (cfg.name,)).fetchone())
    finally:
        conn.close()


