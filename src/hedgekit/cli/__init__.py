"""The ``hedgekit`` command line: parses flags, calls the public API, renders the result.

Each command group lives in its own module with a ``register(app)`` function; heavy imports
(pandas, numba, ccxt) happen inside the commands so ``hedgekit plan`` starts fast.
Errors the user can fix print one line ``error: ...`` on stderr and exit with code 2.
"""

from __future__ import annotations

import importlib
import sys

import typer

from hedgekit.errors import HedgekitError

app = typer.Typer(
    name="hedgekit",
    help="Hedge crypto portfolios with futures: exact contract math, plans, stress tests, backtests.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

@app.callback()
def _root() -> None:
    """Hedge crypto portfolios with futures: exact contract math, plans, stress tests, backtests."""


@app.command()
def version() -> None:
    """Print the hedgekit version."""
    from hedgekit import __version__

    print(__version__)


# Command modules in the order their groups appear in --help.
_COMMAND_MODULES = ("plan", "scenario", "sync", "calc", "data", "analyze", "backtest", "selftest")


_MODULE_OF = {"sync": "live"}  # command group -> module, where they differ


def _register_commands() -> None:
    for name in _COMMAND_MODULES:
        modname = f"hedgekit.cli.{_MODULE_OF.get(name, name)}"
        try:
            module = importlib.import_module(modname)
        except ModuleNotFoundError as exc:  # a command group not built yet
            if exc.name == modname:
                continue
            raise
        module.register(app)


_register_commands()


def main(argv: list[str] | None = None) -> int:
    """Console-script entry point. Returns (and exits with) the process exit code."""
    args = sys.argv[1:] if argv is None else list(argv)
    try:
        result = app(args=args, prog_name="hedgekit", standalone_mode=False)
    except typer.Exit as exc:
        code = exc.exit_code
    except typer.Abort:
        print("aborted", file=sys.stderr)
        code = 130
    except HedgekitError as exc:
        print(f"error: {exc}", file=sys.stderr)
        code = 2
    except Exception as exc:
        # typer's (vendored) click usage errors: bad or missing flags, wrong types
        if not (hasattr(exc, "format_message") and hasattr(exc, "exit_code")):
            raise
        ctx = getattr(exc, "ctx", None)
        hint = f" (see '{ctx.command_path} --help')" if ctx is not None else ""
        print(f"error: {exc.format_message()}{hint}", file=sys.stderr)
        code = 2
    else:
        code = result if isinstance(result, int) else 0
    if argv is None:
        sys.exit(code)
    return code
