"""Run a policy sweep in chunks, in this process or on a Dask cluster, into one table.

The table has one row per run in grid order: ``run``, ``name``, every policy parameter, then
the metrics of :func:`hedgekit.backtest.engine.sweep`. Each policy's row depends on that policy
and the market only, so the table is the same, bit for bit, whatever the chunking and wherever
the chunks ran.

In-process (the default) needs no Dask: the chunks run one after another, each with numba's
threads over its policies. With a ``distributed.Client`` the market is scattered to every
worker once, each chunk is one task (one numba thread per task: Dask's threads are the
parallelism), and the rows stream back as chunks finish; a chunk lost with a worker is
recomputed by the scheduler.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import fields
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from hedgekit._files import atomic_path
from hedgekit.backtest.engine import AssetSpec, Market, Policy
from hedgekit.errors import InputError, check_finite, check_nonnegative

__all__ = ["MAX_CHUNK_BYTES", "chunk_bounds", "default_chunk_size", "run_chunk", "run_sweep",
           "sweep_table", "write_parquet"]

# a chunk's (policies x bars) equity block stays below this many bytes in memory
MAX_CHUNK_BYTES = 256 * 2**20

Progress = Callable[[int, int], None]


def default_chunk_size(n_policies: int, n_bars: int, slots: int = 1) -> int:
    """Policies per chunk: about four chunks per parallel slot (a lost worker costs little and
    the slots stay busy), never more than :data:`MAX_CHUNK_BYTES` of equity per chunk."""
    by_memory = max(1, MAX_CHUNK_BYTES // (8 * max(n_bars, 1)))
    by_slots = n_policies if slots <= 1 else math.ceil(n_policies / (4 * slots))
    return max(1, min(by_memory, by_slots))


def chunk_bounds(n: int, size: int) -> list[tuple[int, int]]:
    """``[start, stop)`` of consecutive chunks of ``size`` covering ``range(n)``."""
    if size < 1:
        raise InputError("chunk_size", "must be an integer >= 1", size)
    return [(lo, min(lo + size, n)) for lo in range(0, n, size)]


def run_chunk(assets: Sequence[AssetSpec], market: Market, policies: Sequence[Policy],
              cash: float, reserve: float) -> pd.DataFrame:
    """The metrics of ``policies`` (one row each, in order) by the engine's parallel sweep."""
    from hedgekit.backtest.engine import sweep

    frame = sweep(assets, market, policies, cash=cash, reserve=reserve)
    params = {f.name for f in fields(Policy)}
    return frame[[c for c in frame.columns if c not in params]].reset_index(drop=True)


def _dask_chunk(payload: tuple[Sequence[AssetSpec], Market], policies: Sequence[Policy],
                cash: float, reserve: float) -> pd.DataFrame:
    """One Dask task: Dask's worker threads are the parallelism, so numba runs one thread."""
    import numba

    numba.set_num_threads(1)
    assets, market = payload
    return run_chunk(assets, market, policies, cash, reserve)


def sweep_table(policies: Sequence[Policy], metrics: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """``run``, ``name``, the parameters of every policy and the chunks' metrics, in order."""
    columns: dict[str, Any] = {"run": np.arange(len(policies), dtype=np.int64),
                               "name": [p.name for p in policies]}
    for f in fields(Policy):
        if f.name not in ("name", "ratios", "methods"):  # per-asset maps: not one table column
            values = [getattr(p, f.name) for p in policies]
            columns[f.name] = [v.value for v in values] if f.name == "method" else values
    table = pd.DataFrame(columns)
    body = pd.concat(list(metrics), ignore_index=True)
    if len(body) != len(table):
        raise AssertionError(f"{len(body)} metric rows for {len(table)} runs")
    return pd.concat([table, body], axis=1)


def run_sweep(assets: Sequence[AssetSpec], market: Market, policies: Sequence[Policy], *,
              cash: float = 0.0, reserve: float = 0.0, chunk_size: int | None = None,
              client: Any = None, progress: Progress | None = None) -> pd.DataFrame:
    """Run every policy on ``market``; one row per policy (see the module docstring).

    ``client`` a ``distributed.Client`` (None: in this process); ``chunk_size`` policies per
    chunk (default :func:`default_chunk_size`); ``progress(done, total)`` is called as chunks
    finish, in runs.
    """
    if not policies:
        raise InputError("policies", "needs at least one policy", [], show_value=False)
    names = [p.name for p in policies]
    if len(set(names)) != len(names):
        raise InputError("policies", "names must be unique", names, show_value=False)
    check_finite("cash", cash)
    check_nonnegative("reserve", reserve)
    n, bars = len(policies), len(market.index)
    if client is None:
        size = chunk_size or default_chunk_size(n, bars)
        bounds = chunk_bounds(n, size)
        parts = []
        for lo, hi in bounds:
            parts.append(run_chunk(assets, market, policies[lo:hi], cash, reserve))
            if progress is not None:
                progress(hi, n)
        return sweep_table(policies, parts)
    slots = sum(w.get("nthreads", 1) for w in client.scheduler_info()["workers"].values())
    bounds = chunk_bounds(n, chunk_size or default_chunk_size(n, bars, max(slots, 1)))
    return sweep_table(policies, _on_cluster(client, assets, market, policies, bounds, cash, reserve,
                                             progress))


def _on_cluster(client: Any, assets: Sequence[AssetSpec], market: Market, policies: Sequence[Policy],
                bounds: list[tuple[int, int]], cash: float, reserve: float,
                progress: Progress | None) -> list[pd.DataFrame]:
    from uuid import uuid4

    from distributed import as_completed

    run_id = uuid4().hex[:12]
    # every worker gets the market once; the tasks refer to it by key
    [payload] = client.scatter([(list(assets), market)], broadcast=True, hash=False)
    try:
        futures = {client.submit(_dask_chunk, payload, list(policies[lo:hi]), cash, reserve,
                                 key=f"hedgekit-sweep-{run_id}-{i}", pure=False): i
                   for i, (lo, hi) in enumerate(bounds)}
        parts: list[pd.DataFrame | None] = [None] * len(bounds)
        done = 0
        for future in as_completed(futures):
            i = futures[future]
            parts[i] = future.result()
            done += bounds[i][1] - bounds[i][0]
            if progress is not None:
                progress(done, len(policies))
            future.release()
    finally:
        payload.release()
    return [p for p in parts if p is not None]


def write_parquet(table: pd.DataFrame, path: str | Path) -> None:
    """Write the table to ``path`` through a temporary file and a rename (never half a file)."""
    with atomic_path(Path(path)) as tmp:
        table.to_parquet(tmp, index=False)
