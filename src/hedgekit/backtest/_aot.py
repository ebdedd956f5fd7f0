"""Ahead-of-time build of the backtest kernels, so a short run neither imports numba nor JITs.

``hedgekit selftest`` (the install step) compiles :func:`hedgekit.backtest.kernels.run_policy`
and :func:`~hedgekit.backtest.kernels.equity_metrics` from the same Python source with numba's
``pycc`` into a C extension in the user cache directory (``$HEDGEKIT_CACHE_DIR``, else
``$XDG_CACHE_HOME/hedgekit``, else ``~/.cache/hedgekit``), named by a hash of the kernel
source, the interpreter and numpy, so an edited kernel is never run from a stale build.
Importing it takes well under a millisecond against about a second for numba's import plus its
on-disk cache.

The build targets a generic CPU of this architecture, so it is slower per step than the JIT,
which tunes for the host: :mod:`hedgekit.backtest.engine` uses it for runs short enough that
start-up dominates and the JIT for the rest (see ``engine.AOT_MAX_STEPS``). Without a C compiler
the build fails with a clear message and everything still runs on the JIT.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import os
import shutil
import sys
import sysconfig
import tempfile
import warnings
from pathlib import Path
from types import ModuleType

__all__ = ["build", "cache_dir", "load", "module_path"]

CACHE_ENV = "HEDGEKIT_CACHE_DIR"
_NAME = "hedgekit_kernels_aot"
_HERE = Path(__file__).resolve().parent
_SOURCES = ("kernels.py", "_layout.py", "_aot.py")
_loaded: dict[Path, ModuleType | None] = {}


def cache_dir() -> Path:
    """Where compiled kernels are kept (``$HEDGEKIT_CACHE_DIR`` > ``$XDG_CACHE_HOME/hedgekit``)."""
    env = os.environ.get(CACHE_ENV)
    if env:
        return Path(env).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "hedgekit"


@functools.lru_cache(maxsize=1)  # one hash per process, not one per kernel call
def _key() -> str:
    import numpy  # the build links against numpy's C API: a new numpy gets a new build

    h = hashlib.sha256(f"{sys.version} {numpy.__version__}".encode())
    for name in _SOURCES:
        h.update((_HERE / name).read_bytes())
    return h.hexdigest()[:16]


def module_path() -> Path:
    """The extension file a build for the current kernel source would have."""
    suffix = sysconfig.get_config_var("EXT_SUFFIX") or ".so"
    return cache_dir() / "aot" / _key() / f"{_NAME}{suffix}"


def load() -> ModuleType | None:
    """The compiled kernels for the current source, or None when they have not been built."""
    path = module_path()
    if path not in _loaded:
        module = None
        if path.exists():
            spec = importlib.util.spec_from_file_location(_NAME, path)
            if spec is not None and spec.loader is not None:
                try:
                    module = importlib.util.module_from_spec(spec)
                    spec.loader.exec_module(module)
                except ImportError:  # built for another platform or interpreter: rebuild
                    module = None
        _loaded[path] = module
    return _loaded[path]


def _signatures() -> dict[str, str]:
    m, v, i = "f8[:, ::1]", "f8[::1]", "i8[::1]"
    market = ", ".join([m] * 9)  # spot .. settle
    assets = f"{v}, {v}, {v}, {i}, {v}, {v}, f8[:, :, ::1], {i}, {v}, {i}, f8, f8"  # coins0 .. reserve0
    outputs = ", ".join([v] * 6) + f", {m}, i8[:, ::1], {v}"
    return {
        "run_policy": f"void({market}, {assets}, {v}, {i}, {outputs})",
        "equity_metrics": f"void({v}, {v}, f8, f8, {v})",
    }


def build() -> Path:
    """Compile the kernels into :func:`module_path` (a temporary folder, then a rename)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # numba flags pycc as pending deprecation
        from numba.pycc import CC

        from hedgekit.backtest import kernels

        target = module_path()
        target.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
            cc = CC(_NAME)
            cc.output_dir = tmp
            cc.verbose = False
            for name, sig in _signatures().items():
                cc.export(name, sig)(getattr(kernels, name).py_func)
            cc.compile()
            built = next(Path(tmp).glob(f"{_NAME}*"))
            os.replace(built, target)
    _loaded.pop(target, None)
    return target


def clear() -> None:
    """Remove every compiled build (all kernel versions)."""
    shutil.rmtree(cache_dir() / "aot", ignore_errors=True)
    _loaded.clear()
