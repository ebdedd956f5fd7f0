"""The ``hedgekit`` command line: parses flags, calls the public API, renders the result.

Each command group lives in its own module with a ``register(app)`` function; heavy imports
(pandas, numba, ccxt) happen inside the commands so ``hedgekit plan`` starts fast.
Errors the user can fix print one line ``error: ...`` on stderr and exit with code 2.
"""

from __future__ import annotations

import importlib
import os
import sys
from typing import Annotated

import typer

from hedgekit.errors import HedgekitError

app = typer.Typer(
    name="hedgekit",
    help="Hedge crypto portfolios with futures: exact contract math, plans, stress tests, backtests.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

def _print_version(value: bool) -> None:
    if value:
        from hedgekit import __version__

        print(__version__)
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[bool, typer.Option("--version", help="Print the hedgekit version and exit.",
                                          is_eager=True, callback=_print_version)] = False,
) -> None:
    """Hedge crypto portfolios with futures: exact contract math, plans, stress tests, backtests."""


@app.command()
def version() -> None:
    """Print the hedgekit version."""
    from hedgekit import __version__

    print(__version__)


# Command modules in the order their groups appear in --help.
_COMMAND_MODULES = ("plan", "scenario", "risk", "sync", "rebalance", "monitor", "calc", "data", "analyze",
                    "backtest", "sweep", "serve", "selftest")


_MODULE_OF = {"sync": "live", "rebalance": "execution"}  # command group -> module, where they differ


def _polish_help() -> None:
    """Help and usage as users read them elsewhere: a boolean flag is shown as ``--json`` (not
    ``--json <bool>``), arguments in the usage line by name (``PORTFOLIO``, not ``{portfolio}``).
    Patches typer's display hooks only; does nothing if this typer version lacks them."""
    from typer import core

    option, argument = getattr(core, "TyperOption", None), getattr(core, "TyperArgument", None)
    if option is not None and hasattr(option, "display_type_rich") and not getattr(option, "_hk_polished", False):
        shown = option.display_type_rich

        def display_type_rich(self, ctx):  # type: ignore[no-untyped-def]
            if getattr(self, "is_flag", False) and self.metavar is None:
                return None
            return shown(self, ctx)

        option.display_type_rich = display_type_rich
        option._hk_polished = True
    if argument is not None and hasattr(argument, "_usage_display_name"):
        def usage_name(self):  # type: ignore[no-untyped-def]
            name = (self.metavar or self.name or "").upper()
            name = name if self.required else f"[{name}]"
            return name + ("..." if self.nargs != 1 else "")

        argument._usage_display_name = usage_name


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
_polish_help()


def _error_line(message: str) -> None:
    """``error: <message>`` on stderr as one line: newlines folded, control characters (ANSI
    escapes) made visible, at most a few hundred characters."""
    from hedgekit.cli._output import visible

    text = " ".join(visible(message).split("\n"))
    if len(text) > 500:
        text = text[:499] + "…"
    print(f"error: {text}", file=sys.stderr)


def _usage_message(exc: Exception) -> str:
    """click's usage error as one line; a missing choice option lists its choices on it
    (click spreads them over several lines)."""
    param = getattr(exc, "param", None)
    choices = getattr(getattr(param, "type_descriptor", None), "choices", None)
    if type(exc).__name__ == "MissingParameter" and choices and getattr(param, "opts", None):
        names = ", ".join(str(getattr(c, "value", c)) for c in choices)
        return f"Missing option '{param.opts[0]}': one of {names}."  # type: ignore[union-attr]
    return exc.format_message()  # type: ignore[attr-defined]


def _quiet_stdout() -> None:
    """The reader of our output went away (``| head -1``): stop writing without an error."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # stdout is not a real file (tests capture it)
        pass


def main(argv: list[str] | None = None) -> int:
    """Console-script entry point. Returns (and exits with) the process exit code."""
    args = sys.argv[1:] if argv is None else list(argv)
    try:
        result = app(args=args, prog_name="hedgekit", standalone_mode=False)
        sys.stdout.flush()
    except BrokenPipeError:
        _quiet_stdout()
        code = 0
    except typer.Exit as exc:
        code = exc.exit_code
    except typer.Abort:
        print("aborted", file=sys.stderr)
        code = 130
    except HedgekitError as exc:
        _error_line(str(exc))
        code = 2
    except OSError as exc:  # a file the user named cannot be read or written (permissions, disk full)
        where = f"{exc.filename}: " if getattr(exc, "filename", None) else ""
        _error_line(f"{where}{exc.strerror or exc}")
        code = 2
    except Exception as exc:
        # typer's (vendored) click usage errors: bad or missing flags, wrong types
        if not (hasattr(exc, "format_message") and hasattr(exc, "exit_code")):
            raise
        ctx = getattr(exc, "ctx", None)
        hint = f" (see '{ctx.command_path} --help')" if ctx is not None else ""
        _error_line(f"{_usage_message(exc)}{hint}")
        code = 2
    else:
        code = result if isinstance(result, int) else 0
    if argv is None:
        sys.exit(code)
    return code
