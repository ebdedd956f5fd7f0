"""Policy sweeps: a grid of policy parameters run on one market, in this process or on a Dask
cluster, into one table of parameters and metrics (``hedgekit sweep``).

Public API: :func:`load_grid`, :func:`parse_grid`, :func:`grid_policies`, :func:`run_sweep`,
:func:`write_parquet`, :func:`connect` (a ``distributed.Client``; Dask is an optional extra and
loads only there).
"""

from __future__ import annotations

from hedgekit._lazy import lazy_exports

_EXPORTS = {
    "GridConfig": "hedgekit.sweep.grid",
    "connect": "hedgekit.sweep.cluster",
    "grid_policies": "hedgekit.sweep.grid",
    "load_grid": "hedgekit.sweep.grid",
    "parse_grid": "hedgekit.sweep.grid",
    "run_sweep": "hedgekit.sweep.runner",
    "write_parquet": "hedgekit.sweep.runner",
}

__all__ = sorted(_EXPORTS)


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
