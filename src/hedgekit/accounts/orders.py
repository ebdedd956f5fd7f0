"""Place, find and cancel orders, and read fills, through ccxt's unified order calls.

The seam between hedgekit's executor and a live venue: :func:`place_order` (ccxt
``create_order``), :func:`fetch_order_by_client_id` (``fetch_order``, or the open and closed
order lists where the venue cannot look an order up by client id), :func:`cancel_order` and
:func:`fetch_recent_trades` (``fetch_my_trades``). Symbols in and out are the venue's own ids
(``BTCUSDT``, ``BTC-USDT-SWAP``); every order carries the caller's client order id in the
venue's own parameter, so a retry after a crash or a timeout can find the first attempt.

Failures, and what they mean for the caller:

* :class:`OrderRejected` (``kind = "rejected"``): the venue answered and refused the order;
  ``reason`` is one of :data:`REJECT_REASONS`, read off the venue's documented error code
  (pages cited at each table below). Nothing was placed.
* :class:`~hedgekit.accounts.errors.VenueTimeout` / ``VenueUnavailable`` / ``VenueRateLimited``
  and every other VenueError: the OUTCOME IS UNKNOWN (the request may have reached the venue).
  Reconcile with :func:`fetch_order_by_client_id` before sending again. A venue answer that
  itself says "execution status unknown" (Binance -1006/-1007, Bybit 10000/10016) is a
  VenueTimeout too; such an answer is never turned into a rejection.
* A "duplicate client order id" rejection on a retry means the first send reached the venue:
  :func:`fetch_order_by_client_id` returns that order.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

import ccxt  # type: ignore[import-untyped]

from hedgekit.accounts.client import AccountClient
from hedgekit.accounts.credentials import Redactor
from hedgekit.accounts.errors import VenueError, VenueTimeout
from hedgekit.accounts.fetch import _markets, _unified
from hedgekit.accounts.order_records import (
    ORDER_STATUSES,
    REJECT_REASONS,
    OrderNotFound,
    OrderRejected,
    OrderRequest,
    OrderResult,
)
from hedgekit.accounts.parse import AMOUNT_IN_SIZE_UNITS, _num, _positive, to_time
from hedgekit.errors import InputError

__all__ = [
    "ORDER_STATUSES",
    "REJECT_REASONS",
    "OrderNotFound",
    "OrderRejected",
    "OrderRequest",
    "OrderResult",
    "cancel_order",
    "check_client_order_id",
    "classify_rejection",
    "client_order_id_rules",
    "fetch_order_by_client_id",
    "fetch_recent_trades",
    "order_result",
    "order_status",
    "place_order",
    "venue_error_code",
]

# --------------------------------------------------------------------------- client order ids
_BINANCE_ID = (36, r"^[.A-Z:/a-z0-9_-]+$")
_BYBIT_ID = (36, r"^[A-Za-z0-9_-]+$")

# (max length, pattern of the whole id) per hedgekit venue, from each venue's order-entry docs:
_ID_RULES: dict[str, tuple[int, str]] = {
    # newClientOrderId "Can only be string following the rule: ^[\.A-Z\:/a-z0-9_-]{1,36}$"
    # https://developers.binance.com/docs/derivatives/usds-margined-futures/trade/rest-api/New-Order
    # https://developers.binance.com/docs/derivatives/coin-margined-futures/trade/rest-api/New-Order
    "binance-usdm": _BINANCE_ID,
    "binance-coinm": _BINANCE_ID,
    # orderLinkId "User customised order ID. A max of 36 characters. Combinations of numbers,
    # letters (upper and lower cases), dashes, and underscores are supported."
    # https://bybit-exchange.github.io/docs/v5/order/create-order
    "bybit-linear": _BYBIT_ID,
    "bybit-inverse": _BYBIT_ID,
    # clOrdId "A combination of case-sensitive alphanumerics, all numbers, or all letters of up
    # to 32 characters." https://www.okx.com/docs-v5/en/#order-book-trading-trade-post-place-order
    "okx": (32, r"^[A-Za-z0-9]+$"),
    # label "user defined label for the order (maximum 64 characters)"; printable ASCII kept
    # https://docs.deribit.com/#private-buy
    "deribit": (64, r"^[!-~]+$"),
    # cloid: "128 bit hex string, e.g. 0x1234567890abcdef1234567890abcdef"
    # https://hyperliquid.gitbook.io/hyperliquid-docs/for-developers/api/exchange-endpoint#place-an-order
    "hyperliquid": (34, r"^0x[0-9a-f]{32}$"),
    # clientId is a uint32 https://docs.dydx.exchange/api_integration-trading/placing_orders
    "dydx": (10, r"^[0-9]+$"),
    # clOrdID: "Optional Client Order ID"; the page states no length or charset, so a UUID's
    # 36 characters of letters, digits, - and _ are assumed (orders are not placed there yet)
    # https://www.bitmex.com/api/explorer/#!/Order/Order_new
    "bitmex": (36, r"^[A-Za-z0-9_-]+$"),
}


def client_order_id_rules(venue: str) -> tuple[int, str]:
    """(max length, regex the whole id must match) of a client order id on ``venue``.

    >>> client_order_id_rules("okx")
    (32, '^[A-Za-z0-9]+$')
    """
    try:
        return _ID_RULES[venue]
    except KeyError:
        raise InputError("venue", f"no client order id rules for this venue (known: {', '.join(_ID_RULES)})",
                         venue) from None


def check_client_order_id(venue: str, client_order_id: str) -> str:
    """``client_order_id`` if valid on ``venue``; InputError naming the rule otherwise."""
    longest, pattern = client_order_id_rules(venue)
    if not (isinstance(client_order_id, str) and 0 < len(client_order_id) <= longest
            and re.fullmatch(pattern, client_order_id)):
        raise InputError("client_order_id", f"must be 1-{longest} characters matching {pattern} on {venue}",
                         client_order_id)
    return client_order_id


# --------------------------------------------------------------------------- venue error codes
def _family(venue: str) -> str:
    return venue.split("-")[0]


# Binance USD-M and COIN-M error codes (same numbering on both):
# https://developers.binance.com/docs/derivatives/usds-margined-futures/error-code
# https://developers.binance.com/docs/derivatives/coin-margined-futures/error-code
_BINANCE_REJECT = {
    "-2018": "insufficient-margin",  # BALANCE_NOT_SUFFICIENT "Balance is insufficient."
    "-2019": "insufficient-margin",  # MARGIN_NOT_SUFFICIEN "Margin is insufficient."
    "-2022": "reduce-only",          # REDUCE_ONLY_REJECT "ReduceOnly Order is rejected."
    "-4131": "price-band",           # MARKET_ORDER_REJECT "...does not meet the PERCENT_PRICE filter limit."
    "-4016": "price-band",           # PRICE_HIGHER_THAN_MULTIPLIER_UP "Limit price can't be higher than %s."
    "-4024": "price-band",           # PRICE_LOWER_THAN_MULTIPLIER_DOWN "Limit price can't be lower than %s."
    "-4164": "min-notional",         # MIN_NOTIONAL "Order's notional must be no smaller than %s"
    "-4003": "lot-size",             # QTY_LESS_THAN_ZERO "Quantity less than or equal to zero."
    "-4005": "lot-size",             # QTY_GREATER_THAN_MAX_QTY "Quantity greater than max quantity."
    "-4023": "lot-size",             # QTY_NOT_INCREASED_BY_STEP_SIZE "Qty not increased by step size."
    "-4116": "duplicate-client-id",  # DUPLICATED_CLIENT_ORDER_ID "ClientOrderId is duplicated."
    "-4015": "other",                # CLIENT_ORDER_ID_INVALID "Client order id is not valid."
    "-4014": "other",                # PRICE_NOT_INCREASED_BY_TICK_SIZE
    "-2010": "other",                # NEW_ORDER_REJECTED
    "-2027": "other",                # MAX_LEVERAGE_RATIO "Exceeded the maximum allowable position at current leverage."
    "-1111": "other",                # BAD_PRECISION "Precision is over the maximum defined for this asset."
    "-1013": "other",                # INVALID_MESSAGE: the filter is named in msg (see _FILTER_WORDS)
}
# -1006 UNEXPECTED_RESP "... Execution status unknown." / -1007 TIMEOUT "... Send status
# unknown; execution status unknown." (same pages): the order may exist.
_BINANCE_UNKNOWN = frozenset({"-1006", "-1007"})

# Bybit v5 error codes: https://bybit-exchange.github.io/docs/v5/error
_BYBIT_REJECT = {
    "110004": "insufficient-margin",  # Insufficient wallet balance
    "110006": "insufficient-margin",  # cannot afford estimated position_margin
    "110007": "insufficient-margin",  # Insufficient available balance
    "110012": "insufficient-margin",  # Available balance not enough
    "110044": "insufficient-margin",  # Insufficient available margin
    "110045": "insufficient-margin",  # Insufficient wallet balance
    "110017": "reduce-only",          # Reduce-only rule not satisfied
    "110003": "price-band",           # Order price is out of permissible range
    "110094": "min-notional",         # Order notional value below the lower limit
    "110072": "duplicate-client-id",  # OrderLinkedID is duplicate
    "110020": "other",                # Not allowed to have more than 500 active orders
    "110040": "other",                # The order will trigger a forced liquidation
}
_BYBIT_UNKNOWN = frozenset({"10000", "10016"})  # Server Timeout; internal server error / restarting

# OKX v5 error codes (order placement answers them per order as sCode):
# https://www.okx.com/docs-v5/en/#error-code
_OKX_REJECT = {
    "51008": "insufficient-margin",  # Order failed. Insufficient {ccy} balance in account
    "51119": "insufficient-margin",  # Order failed. Insufficient balance.
    "51127": "insufficient-margin",  # Available balance is 0
    "51131": "insufficient-margin",  # Insufficient balance
    "51169": "reduce-only",          # no position in this direction to reduce or close
    "51170": "reduce-only",          # a reduce-only order can't be the same direction as the position
    "51006": "price-band",           # Order price is not within the price limit (max buy / min sell)
    "51137": "price-band",           # opening price triggered the limit price (max buy price)
    "51138": "price-band",           # opening price triggered the limit price (min sell price)
    "51020": "lot-size",             # Order amount should be greater than the min available amount
    "51121": "lot-size",             # Order quantity must be a multiple of the lot size
    "51016": "duplicate-client-id",  # Duplicated client order ID
    "51004": "other",                # Order amount exceeds current tier limit
}

# Deribit RPC error codes: https://docs.deribit.com/#rpc-error-codes
_DERIBIT_REJECT = {
    "10009": "insufficient-margin",  # not_enough_funds
    "10005": "price-band",           # price_too_low <Limit>
    "10006": "price-band",           # price_too_low4idx <Limit>
    "10007": "price-band",           # price_too_high <Limit>
    "10008": "price-band",           # price_too_high4idx <Limit>
    "10032": "min-notional",         # whole_cost_too_low
    "10002": "lot-size",             # qty_too_low
    "10021": "lot-size",             # invalid_amount
    "10027": "lot-size",             # non_integer_contract_amount
    "10043": "other",                # price_wrong_tick
}

_REJECT = {"binance": _BINANCE_REJECT, "bybit": _BYBIT_REJECT, "okx": _OKX_REJECT, "deribit": _DERIBIT_REJECT}
_UNKNOWN = {"binance": _BINANCE_UNKNOWN, "bybit": _BYBIT_UNKNOWN}

# Venues that answer with text only (Hyperliquid's order statuses; Binance -1013 filter
# failures): words of the documented messages -> reason.
# https://hyperliquid.gitbook.io/hyperliquid-docs/for-developers/api/error-responses
_FILTER_WORDS = (
    ("insufficient margin", "insufficient-margin"),   # "Insufficient margin to place order."
    ("reduce only", "reduce-only"),                   # "Reduce only order would increase position."
    ("percent_price", "price-band"),                  # "Filter failure: PERCENT_PRICE"
    ("min_notional", "min-notional"),                 # "Filter failure: MIN_NOTIONAL"
    ("minimum value", "min-notional"),                # "Order must have minimum value of $10."
    ("lot_size", "lot-size"),                         # "Filter failure: LOT_SIZE" / MARKET_LOT_SIZE
)


def venue_error_code(text: str) -> tuple[str | None, str | None]:
    """(code, message) of a venue's error body inside a ccxt exception text (ccxt raises
    ``"<exchange id> <body>"``): Binance ``code``/``msg``, Bybit ``retCode``/``retMsg``, OKX the
    first order's ``sCode``/``sMsg`` (else ``code``/``msg``), Deribit ``error.code``/``message``.
    (None, None) when the text carries no JSON body.

    >>> venue_error_code('binanceusdm {"code":-2019,"msg":"Margin is insufficient."}')
    ('-2019', 'Margin is insufficient.')
    """
    start = text.find("{")
    if start < 0:
        return None, None
    try:
        body = json.loads(text[start:])
    except ValueError:
        return None, None
    if not isinstance(body, Mapping):
        return None, None
    data = body.get("data")
    if isinstance(data, list) and data and isinstance(data[0], Mapping) and data[0].get("sCode") not in (None, "", "0"):
        return str(data[0]["sCode"]), _text(data[0].get("sMsg"))
    if isinstance(body.get("error"), Mapping):
        err = body["error"]
        return _code(err.get("code")), _text(err.get("message"))
    if "retCode" in body:
        return _code(body.get("retCode")), _text(body.get("retMsg"))
    return _code(body.get("code")), _text(body.get("msg"))


def _code(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)


def _text(value: Any) -> str | None:
    return None if value is None or value == "" else " ".join(str(value).split())


def _reason_from_words(message: str) -> str | None:
    low = message.lower()
    return next((reason for words, reason in _FILTER_WORDS if words in low), None)


def classify_rejection(exc: BaseException, *, account: str, venue: str, redactor: Redactor | None = None,
                       call: str = "create_order") -> VenueError | None:
    """The OrderRejected (or, for a venue answer that says the outcome is unknown, the
    VenueTimeout) of a failed ccxt order call; None when ``exc`` is no venue refusal (a
    transport failure, an auth error, ...), which then keeps its generic classification.

    A network-level failure is never a rejection: it may have reached the venue."""
    if isinstance(exc, ccxt.NetworkError) or not isinstance(exc, ccxt.BaseError):
        return None
    scrub = redactor.scrub if redactor is not None else str
    text = str(exc)
    code, message = venue_error_code(text)
    family = _family(venue)
    if code is not None and code in _UNKNOWN.get(family, ()):
        return VenueTimeout(account, venue, f"the venue could not confirm the order; its outcome is unknown "
                            f"[{code}: {scrub(message or '')}]", call=call)
    reason = _REJECT.get(family, {}).get(code) if code is not None else None
    if reason in (None, "other"):
        reason = _reason_from_words(message or text) or reason
    if reason is None:
        if isinstance(exc, ccxt.InsufficientFunds):
            reason = "insufficient-margin"
        elif isinstance(exc, ccxt.DuplicateOrderId):
            reason = "duplicate-client-id"
        elif isinstance(exc, ccxt.InvalidOrder) and not isinstance(exc, ccxt.OrderNotFound):
            reason = "other"
        else:
            return None
    said = scrub(message or text)
    said = said if len(said) <= 200 else said[:197] + "..."
    where = f"{code}: " if code is not None else ""
    return OrderRejected(account, venue, f"order rejected ({reason}) [{where}{said}]", reason=reason,
                         code=code, call=call)


# --------------------------------------------------------------------------- ccxt order -> result
def order_status(raw: Mapping[str, Any]) -> str:
    """hedgekit status of a ccxt order structure: ccxt's ``open`` splits by fills into
    ``open``/``partially_filled``; ``closed`` is ``filled`` when all was filled, else
    ``canceled`` (ccxt reports a partly filled then cancelled order as closed, e.g. Bybit
    PartiallyFilledCanceled); ``canceled``/``expired``/``rejected`` stay. A missing status (an
    order-entry answer that only acknowledges) is ``open``."""
    status = str(raw.get("status") or "open").lower()
    filled = _num(raw.get("filled")) or 0.0
    amount = _num(raw.get("amount"))
    if status == "open":
        return "partially_filled" if filled > 0 else "open"
    if status == "closed":
        complete = amount is None or filled >= amount or math.isclose(filled, amount, rel_tol=1e-9)
        return "filled" if complete else "canceled"
    if status in ("canceled", "cancelled"):
        return "canceled"
    if status in ("expired", "rejected"):
        return status
    return "open"


# Bybit rejectReason "EC_NoError" and cancelType "UNKNOWN" mean nothing to report.
_QUIET = frozenset({"", "EC_NoError", "UNKNOWN", "CancelByUser"})
_REASON_KEYS = ("rejectReason", "cancelSourceReason", "cancelType")  # Bybit, OKX, Bybit


def _info_message(info: Mapping[str, Any]) -> str | None:
    for key in _REASON_KEYS:
        value = info.get(key)
        if isinstance(value, str) and value not in _QUIET:
            return value
    return None


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _client_id_of(raw: Mapping[str, Any]) -> str | None:
    info = _mapping(raw.get("info"))
    for value in (raw.get("clientOrderId"), info.get("clientOrderId"), info.get("orderLinkId"),
                  info.get("clOrdId"), info.get("label"), info.get("cloid")):
        if value:
            return str(value)
    return None


def order_result(raw: Mapping[str, Any], *, symbol: str, client_order_id: str | None = None,
                 size_unit: float = 1.0, request: OrderRequest | None = None,
                 redactor: Redactor | None = None) -> OrderResult:
    """An OrderResult from a ccxt order structure. ``size_unit`` divides ccxt amounts into
    contracts (a Deribit contract size: its amounts are in USD); ``request`` fills what an
    acknowledging answer leaves out (side, size); ``client_order_id`` is used when the answer
    does not repeat it."""
    info = _mapping(raw.get("info"))
    amount = _num(raw.get("amount"))
    filled = _num(raw.get("filled")) or 0.0
    contracts = amount / size_unit if amount is not None else (request.contracts if request else 0.0)
    fee = _mapping(raw.get("fee"))
    side = str(raw.get("side") or (request.side if request else "")).lower()
    message = _info_message(info)
    if message is not None and redactor is not None:
        message = redactor.scrub(message)
    cid = _client_id_of(raw) or client_order_id or (request.client_order_id if request else "")
    return OrderResult(
        client_order_id=cid,
        venue_order_id=str(raw["id"]) if raw.get("id") not in (None, "") else None,
        symbol=symbol,
        side=side,
        status=order_status(raw),
        contracts=contracts,
        filled_contracts=filled / size_unit,
        average_price=_positive(raw.get("average")),
        fee=_num(fee.get("cost")),
        fee_currency=str(fee["currency"]) if fee.get("currency") else None,
        message=message,
        as_of=to_time(raw.get("lastUpdateTimestamp") or raw.get("lastTradeTimestamp") or raw.get("timestamp")),
    )


# --------------------------------------------------------------------------- venue calls
# The venue's own parameter for the client order id when placing, and when looking up or
# cancelling (ccxt passes these through to the request).
_NEW_ID_PARAM = {"binance": "newClientOrderId", "bybit": "orderLinkId", "okx": "clOrdId", "deribit": "label"}
_ORIG_ID_PARAM = {"binance": "origClientOrderId", "bybit": "orderLinkId", "okx": "clOrdId", "deribit": "label"}

# Answers to a cancel of an order that is already done or unknown: then its final state is
# read by client id (codes per venue: the same number means different things elsewhere).
_CANCEL_DONE = {
    # Binance -2011 CANCEL_REJECTED "Unknown order sent.", -2013 NO_SUCH_ORDER "Order does not exist."
    "binance": frozenset({"-2011", "-2013"}),
    # Bybit 110001 "Order does not exist", 110008 "Order has been finished or canceled",
    # 110010 "Order already cancelled"
    "bybit": frozenset({"110001", "110008", "110010"}),
    # OKX 51400 "Cancellation failed as the order does not exist", 51401 "... already canceled",
    # 51402 "... already completed"
    "okx": frozenset({"51400", "51401", "51402"}),
    # Deribit 10004 order_not_found, 10010 already_closed, 11044 not_open_order
    "deribit": frozenset({"10004", "10010", "11044"}),
}


def _supported(client: AccountClient) -> str:
    family = _family(client.venue)
    if family not in _NEW_ID_PARAM:
        raise VenueError(client.account, client.venue, "placing orders is not supported on this venue yet")
    return family


def _market(client: AccountClient, symbol: str) -> tuple[str, Mapping[str, Any]]:
    (unified,) = _unified(client, [symbol])
    return unified, _markets(client)[unified]


def _size_unit(client: AccountClient, market: Mapping[str, Any]) -> float:
    return (_positive(market.get("contractSize")) or 1.0) if client.venue in AMOUNT_IN_SIZE_UNITS else 1.0


def _check_request(client: AccountClient, req: OrderRequest) -> None:
    if req.side not in ("buy", "sell"):
        raise InputError("side", "must be buy or sell", req.side)
    if req.order_type not in ("limit", "market"):
        raise InputError("order_type", "must be limit or market", req.order_type)
    if not (isinstance(req.contracts, int | float) and math.isfinite(req.contracts) and req.contracts > 0):
        raise InputError("contracts", "must be > 0", req.contracts)
    if req.order_type == "limit" and not (req.limit_price is not None and math.isfinite(req.limit_price)
                                          and req.limit_price > 0):
        raise InputError("limit_price", "a limit order needs a price > 0", req.limit_price)
    check_client_order_id(client.venue, req.client_order_id)


def _answer(client: AccountClient, raw: Any, call: str) -> Mapping[str, Any]:
    """``raw`` if it is an order the venue identified; a VenueError (outcome unknown) for an
    answer that names no order."""
    if not isinstance(raw, Mapping) or not (raw.get("id") or _client_id_of(raw)):
        raise VenueError(client.account, client.venue, "unexpected answer: no order id in it", call=call)
    return raw


def _rejection(client: AccountClient, call: str) -> Callable[[BaseException], VenueError | None]:
    def refine(exc: BaseException) -> VenueError | None:
        return classify_rejection(exc, account=client.account, venue=client.venue, redactor=client.redactor,
                                  call=call)
    return refine


def place_order(client: AccountClient, req: OrderRequest, *,
                extra_params: Mapping[str, Any] | None = None) -> OrderResult:
    """Send ``req`` (ccxt ``create_order``) with its client order id and reduce-only flag.

    Returns the venue's answer as an OrderResult (``open`` when the venue only acknowledges;
    its fills come with :func:`fetch_order_by_client_id`). Raises OrderRejected when the venue
    refused it, VenueTimeout/VenueUnavailable when the outcome is unknown. ``extra_params``
    are passed to ccxt as they are (e.g. Binance ``positionSide`` in hedge mode)."""
    family = _supported(client)
    _check_request(client, req)
    unified, market = _market(client, req.symbol)
    unit = _size_unit(client, market)
    params: dict[str, Any] = {**(extra_params or {}), _NEW_ID_PARAM[family]: req.client_order_id}
    if req.reduce_only:
        params["reduceOnly"] = True
    price = req.limit_price if req.order_type == "limit" else None
    raw = client.call_refined(_rejection(client, "create_order"), "create_order", unified, req.order_type,
                              req.side, req.contracts * unit, price, params)
    raw = _answer(client, raw, "create_order")
    return order_result(raw, symbol=req.symbol, size_unit=unit, request=req, redactor=client.redactor)


class _Settled(VenueError):
    """Internal: the venue answered that the order does not exist or is already done (an
    answer, not a failure: the caller reads the order's state instead)."""


def _not_found(exc: BaseException) -> VenueError | None:
    return _Settled("-", "-", "no such order") if isinstance(exc, ccxt.OrderNotFound) else None


def fetch_order_by_client_id(client: AccountClient, symbol: str, client_order_id: str) -> OrderResult | None:
    """The venue's order with ``client_order_id`` on ``symbol``; None when the venue never saw
    it. Binance and OKX look it up directly (``origClientOrderId`` / ``clOrdId``); Bybit, whose
    single-order query serves only the last 500 orders, searches its open then its closed and
    cancelled orders by ``orderLinkId``; Deribit, which cannot look up one instrument's order by
    label, scans the instrument's open orders, then its order history, for the ``label``."""
    family = _supported(client)
    unified, market = _market(client, symbol)
    unit = _size_unit(client, market)
    param = {_ORIG_ID_PARAM[family]: client_order_id}
    raws: list[Mapping[str, Any]]
    if family == "bybit":
        raws = list(client.call("fetch_open_orders", unified, None, None, param))
        if not raws:
            raws = list(client.call("fetch_canceled_and_closed_orders", unified, None, None, param))
    elif family == "deribit":
        # no look-up by label for one instrument: scan its open orders, then its order history
        raws = [r for r in client.call("fetch_open_orders", unified) if _client_id_of(r) == client_order_id]
        if not raws:
            raws = [r for r in client.call("fetch_closed_orders", unified) if _client_id_of(r) == client_order_id]
    else:
        try:
            raws = [client.call_refined(_not_found, "fetch_order", None, unified, param)]
        except _Settled:
            raws = []
    raws = [r for r in raws if _client_id_of(r) in (None, client_order_id)]
    if not raws:
        return None
    return order_result(_answer(client, raws[0], "fetch_order"), symbol=symbol,
                        client_order_id=client_order_id, size_unit=unit, redactor=client.redactor)


def _cancel_done(family: str) -> Callable[[BaseException], VenueError | None]:
    def refine(exc: BaseException) -> VenueError | None:
        code, _ = venue_error_code(str(exc)) if isinstance(exc, ccxt.BaseError) else (None, None)
        if isinstance(exc, ccxt.OrderNotFound) or code in _CANCEL_DONE.get(family, ()):
            return _Settled("-", "-", "order already done or unknown")
        return None
    return refine


def cancel_order(client: AccountClient, symbol: str, client_order_id: str) -> OrderResult:
    """Cancel the order with ``client_order_id`` and return its final state (read back by
    client id when the cancel answer only acknowledges). An order that was already filled or
    cancelled is returned as it stands; OrderNotFound when the venue never saw it. Safe to
    repeat."""
    family = _supported(client)
    unified, market = _market(client, symbol)
    unit = _size_unit(client, market)
    param = {_ORIG_ID_PARAM[family]: client_order_id}
    venue_id = None
    if family == "deribit":  # Deribit cancels one order by its own id: look it up first
        known = fetch_order_by_client_id(client, symbol, client_order_id)
        if known is None or known.status not in ("open", "partially_filled"):
            return _found_or_missing(client, symbol, client_order_id, known)
        venue_id, param = known.venue_order_id, {}
    try:
        raw = client.call_refined(_cancel_done(family), "cancel_order", venue_id, unified, param)
    except _Settled:
        raw = None
    if raw is not None and raw.get("status") and raw.get("amount") is not None:
        return order_result(raw, symbol=symbol, client_order_id=client_order_id, size_unit=unit,
                            redactor=client.redactor)
    return _found_or_missing(client, symbol, client_order_id,
                             fetch_order_by_client_id(client, symbol, client_order_id))


def _found_or_missing(client: AccountClient, symbol: str, client_order_id: str,
                      found: OrderResult | None) -> OrderResult:
    if found is None:
        raise OrderNotFound(client.account, client.venue, f"no order {client_order_id} on {symbol} to cancel",
                            call="cancel_order")
    return found


def fetch_recent_trades(client: AccountClient, symbol: str, since: datetime | None = None) -> list[dict[str, Any]]:
    """The account's fills on ``symbol`` (since ``since`` when given), oldest first, as dicts:
    ``trade_id``, ``venue_order_id``, ``client_order_id`` (None where the venue's fill does not
    carry it: Binance), ``symbol``, ``side``, ``contracts``, ``price``, ``fee``, ``fee_currency``,
    ``as_of``."""
    _supported(client)
    unified, market = _market(client, symbol)
    unit = _size_unit(client, market)
    since_ms = round(since.timestamp() * 1000) if since is not None else None
    trades = client.call("fetch_my_trades", unified, since_ms)
    out = []
    for t in trades:
        fee = _mapping(t.get("fee"))
        amount = _num(t.get("amount"))
        out.append({
            "trade_id": str(t["id"]) if t.get("id") not in (None, "") else None,
            "venue_order_id": str(t["order"]) if t.get("order") not in (None, "") else None,
            "client_order_id": _client_id_of(t),
            "symbol": symbol,
            "side": str(t.get("side") or "").lower(),
            "contracts": amount / unit if amount is not None else None,
            "price": _positive(t.get("price")),
            "fee": _num(fee.get("cost")),
            "fee_currency": str(fee["currency"]) if fee.get("currency") else None,
            "as_of": to_time(t.get("timestamp")),
        })
    out.sort(key=lambda row: (row["as_of"] is None, row["as_of"] or datetime.min.replace(tzinfo=UTC)))
    return out
