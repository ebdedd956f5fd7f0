"""Which futures can hedge an asset: hand-picked instruments, the asset's own future on the
policy's venues, else a proxy (``hedge.proxies`` or the benchmark)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC

from hedgekit.errors import InputError
from hedgekit.instruments import ContractType, Instrument
from hedgekit.market.snapshot import MarketSnapshot
from hedgekit.portfolio import HedgePolicy, InstrumentChoice, price_of
from hedgekit.venues import VenuePreset, get_venue

__all__ = ["Candidate", "candidates", "custom_instrument"]

PREFERRED_TYPES = (ContractType.LINEAR, ContractType.INVERSE, ContractType.QUANTO)

# (venue, instrument, the hand-picked choice or None)
Candidate = tuple[VenuePreset, Instrument, InstrumentChoice | None]


def candidates(asset: str, policy: HedgePolicy, prices: Mapping[str, float] | None = None,
               market: MarketSnapshot | None = None) -> tuple[str, list[Candidate]]:
    """``(hedge asset, candidates in preference order)`` for one exposure.

    With ``prices`` the hedge asset must have one (InputError naming the field otherwise);
    with ``market`` the venues include the contracts synced from their market lists."""
    venue_of = market.venue if market is not None else get_venue
    if asset in policy.instruments:
        out: list[Candidate] = []
        for j, choice in enumerate(policy.instruments[asset]):
            where = f"hedge.instruments.{asset}[{j}]"
            try:
                venue = venue_of(choice.venue)
                inst = custom_instrument(choice) if choice.is_custom else venue.instrument(choice.symbol)
            except InputError as exc:
                raise exc.within(where) from None
            out.append((venue, inst, choice))
        bases = {inst.base for _, inst, _ in out}
        if len(bases) > 1:
            raise InputError(f"hedge.instruments.{asset}", "all instruments of one asset must "
                             "track the same coin", sorted(bases))
        if prices is not None:
            price_of(out[0][1].base, prices, f"hedge.instruments.{asset}")
        return out[0][1].base, out
    venues = [_venue(venue_of, name, i) for i, name in enumerate(policy.venues)]
    types = (ContractType(policy.contract_type),) if policy.contract_type else PREFERRED_TYPES

    def listed(base: str) -> list[Candidate]:
        found: list[Candidate] = []
        for venue in venues:
            for kind in types:
                inst = venue.find_instrument(base, kind.value)
                if inst is not None:
                    found.append((venue, inst, None))
                    break
        return found

    if asset in policy.proxies:
        hedge_asset = policy.proxies[asset]
        where = f"hedge.proxies.{asset}"
    else:
        own = listed(asset)
        if own:
            return asset, own
        hedge_asset = policy.benchmark
        where = "hedge.benchmark"
    found = listed(hedge_asset)
    if not found:
        kinds = "/".join(t.value for t in types)
        raise InputError(where, f"no {kinds} future on {hedge_asset} in hedge.venues "
                         f"({', '.join(policy.venues)}) to hedge {asset}", hedge_asset)
    if prices is not None:
        price_of(hedge_asset, prices, where)
    return hedge_asset, found


def custom_instrument(choice: InstrumentChoice) -> Instrument:
    """The contract a hand-written spec under ``hedge.instruments`` describes."""
    quote = choice.quote or ("USD" if choice.contract_type != "linear" else "USDT")
    # the schema refuses a custom contract without them
    assert choice.contract_type is not None and choice.contract_size is not None and choice.base is not None
    expiry = choice.expiry
    if expiry is not None and expiry.tzinfo is None:
        expiry = expiry.replace(tzinfo=UTC)
    return Instrument(symbol=choice.symbol, contract_type=ContractType(choice.contract_type),
                      contract_size=choice.contract_size, base=choice.base, quote=quote,
                      settle=choice.settle or "", lot_size=choice.lot_size, expiry=expiry)


def _venue(venue_of: Callable[[str], VenuePreset], name: str, i: int) -> VenuePreset:
    try:
        return venue_of(name)
    except InputError as exc:
        raise exc.relabel(f"hedge.venues[{i}]") from None
