"""Dask connections for sweeps: ``local`` (a LocalCluster on this machine) or a running
scheduler's address (``tcp://HOST:8786``, started with ``dask scheduler`` and ``dask worker``).

Dask's ``distributed`` is an optional extra (``pip install "hedgekit[dask]"``); it is imported
only here, only when a scheduler is asked for.
"""

from __future__ import annotations

import logging
import re
import warnings
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

from hedgekit.errors import HedgekitError, InputError

__all__ = ["check_scheduler", "connect"]

_ADDRESS = re.compile(r"^(tcp|tls)://[^\s/:]+(:\d{1,5})?$")


def check_scheduler(scheduler: str, workers: int | None = None) -> None:
    """``local`` or ``tcp://HOST:PORT``; ``workers`` only with ``local``. InputError otherwise."""
    if scheduler != "local" and not _ADDRESS.match(scheduler):
        raise InputError("--scheduler", "must be local or a scheduler address like tcp://HOST:8786",
                         scheduler)
    if workers is not None:
        if scheduler != "local":
            raise InputError("--workers", "only with --scheduler local (a running cluster has its own)",
                             workers)
        if workers < 1:
            raise InputError("--workers", "must be an integer >= 1", workers)


@contextmanager
def connect(scheduler: str, workers: int | None = None, *, timeout: float = 30.0) -> Iterator[Any]:
    """A ``distributed.Client``: on a new LocalCluster (``local``: ``workers`` processes of one
    thread each, default one per core, bound to 127.0.0.1, no dashboard) or on the scheduler
    at the given address. Closed (and the LocalCluster shut down) when the block ends."""
    check_scheduler(scheduler, workers)
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise InputError("--scheduler", "needs Dask: pip install \"hedgekit[dask]\"", scheduler) from None
    with ExitStack() as stack:
        if scheduler == "local":
            with warnings.catch_warnings():
                # the scheduler's health endpoint (not the dashboard) moves off a busy port 8787
                warnings.filterwarnings("ignore", message="Port .* is already in use")
                cluster = stack.enter_context(LocalCluster(
                    n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                    dashboard_address=None, silence_logs=logging.ERROR))  # not its shutdown chatter
            address: Any = cluster
        else:
            address = scheduler
        try:
            client = stack.enter_context(Client(address, timeout=timeout))
        except (OSError, TimeoutError) as exc:
            raise HedgekitError(f"--scheduler: cannot reach {scheduler}: {exc}") from None
        try:
            client.wait_for_workers(1, timeout=timeout)
        except TimeoutError:
            raise HedgekitError(f"--scheduler: no worker joined {scheduler} within {timeout:g} s") from None
        yield client
