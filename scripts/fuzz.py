"""Seeded fuzzing of the hedgekit command line: every bad input must end in exit 0 or 2, with a
one-line ``error: ...`` on stderr for 2, and never a traceback.

    python scripts/fuzz.py                          # 300 cases, seed 0
    python scripts/fuzz.py --budget 5000 --seed 7   # the large run
    python scripts/fuzz.py --keep /tmp/fuzz-found   # save every failing input there

It mutates portfolio files (``plan``, ``scenario``), backtest configs (``backtest``), ``calc``
flags, ``analyze`` flags and market-data files (``data import`` / ``check`` / ``list``), at
three levels: the parsed document (a value replaced by an awkward one, a key removed or
added), the YAML text (plain scalars such as ``1:30``, aliases, deep nesting, duplicate keys)
and the bytes (truncation, bit flips, other encodings, gzip damage). Commands run in this
process (``hedgekit.cli.main``) with a time limit per case. The test suite runs a small
budget (tests/test_fuzz.py); any failure prints the command and the input to reproduce it.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import gzip
import io
import json
import os
import random
import shutil
import signal
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

import yaml  # noqa: E402 - after the sys.path line above, so the checkout's hedgekit is used

SECONDS_PER_CASE = 20

# Values that broke a promise once, or sit on a border: replaced into parsed documents.
AWKWARD: list[object] = [
    0, -1, 0.5, 2, 1e-310, 5e-324, 1.7e308, -1.7e308, 1e300, 10**30, 2**63, -(2**63) - 1, 200000,
    True, False, None, "", " ", "yes", "1:30", "nan", "inf", "-0", "ten", "2021-02-30", "1900-01-01",
    "2090-01-01", "[/]", "[bold]x[/bold]", "\x1b[31mred\x1b[0m", "$x^2$", "a" * 300, "BTC", "USDT",
    "binance-usdm", "bybit-inverse", "notional", "beta", "minvar", "static", "none", "1h", "15m",
    [], {}, [1, 2], {"a": 1}, [{"asset": "BTC", "amount": 1}], {"BTC": []}, {"BTC": {"venue": "okx"}},
]
# Plain YAML text put where a number was written.
RAW_SCALARS = [
    "1:30", "yes", "on", "0x1F", "0o17", "017", "1_000", "~", ".nan", "-.inf", "1e999", "9" * 5000,
    "2021-02-30", "2021-01-01T25:00:00", "!!binary AAAA", "!!python/name:os.system", "&a [*a]", "*nope",
    "!!float abc", "!!int 1.5", "'1'", "[1, 2", "{a: 1, a: 2}", "\"\\e[2J\"", "\"\\x00\"",
]
# Flag values for calc and analyze.
FLAG_VALUES = ["0", "-1", "1", "0.5", "nan", "inf", "-inf", "1e309", "5e-324", "1e-310", "1e300", "abc", "",
               "[/]", "\x1b[2J", "9" * 400, "true", "--json", "-0", "1,000", "2021-02-30", "-1e-300",
               "99999999999999999999"]


@dataclass
class Case:
    """One command to run and the files it reads (relative names under the case folder)."""

    kind: str
    argv: list[str]
    files: dict[str, bytes] = field(default_factory=dict)
    setup: Callable[[Path], None] | None = None


@dataclass
class Finding:
    case: Case
    problem: str
    detail: str

    def describe(self) -> str:
        shown = " ".join(repr(a) if (not a or " " in a or not a.isprintable()) else a for a in self.case.argv)
        return f"[{self.case.kind}] {self.problem}: hedgekit {shown}\n    {self.detail}"


class _Timeout(BaseException):
    pass


def _on_alarm(signum, frame):
    raise _Timeout()


OUTCOMES: dict[tuple[str, int], int] = {}
ERRORS: dict[str, int] = {}


def run_case(case: Case, folder: Path) -> Finding | None:
    """Run one case in this process; a Finding when it broke a promise, else None."""
    from hedgekit.cli import main

    for name, data in case.files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)
    if case.setup is not None:
        case.setup(folder)
    argv = [a.replace("{dir}", str(folder)) for a in case.argv]
    out, err = io.StringIO(), io.StringIO()
    use_alarm = hasattr(signal, "SIGALRM")
    if use_alarm:
        old = signal.signal(signal.SIGALRM, _on_alarm)
        signal.alarm(SECONDS_PER_CASE)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(argv)
    except _Timeout:
        return Finding(case, "slow", f"more than {SECONDS_PER_CASE} s")
    except BaseException as exc:
        if isinstance(exc, KeyboardInterrupt):
            raise
        tb = traceback.format_exception(exc)
        return Finding(case, "traceback", "".join(tb[-3:]).strip().replace("\n", "\n    ")[-1500:])
    finally:
        if use_alarm:
            signal.alarm(0)
            signal.signal(signal.SIGALRM, old)
    text = err.getvalue()
    OUTCOMES[(case.kind, code)] = OUTCOMES.get((case.kind, code), 0) + 1
    if code == 2:
        key = f"{case.kind}: " + text.split("(got")[0][:70]
        ERRORS[key] = ERRORS.get(key, 0) + 1
    if "Traceback" in text:
        return Finding(case, "traceback on stderr", text[-1500:])
    if code not in (0, 2):
        return Finding(case, f"exit {code}", text[-500:])
    if code == 2:
        lines = text.splitlines()
        if len(lines) != 1 or not lines[0].startswith("error: "):
            return Finding(case, "not one error line", repr(text[:500]))
        if len(lines[0]) > 600:
            return Finding(case, "error line too long", f"{len(lines[0])} characters")
    return None


# ----------------------------------------------------------------------------- documents
def _paths(doc, prefix=()):
    yield prefix
    if isinstance(doc, dict):
        for k, v in doc.items():
            yield from _paths(v, prefix + (k,))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            yield from _paths(v, prefix + (i,))


def _get(doc, path):
    for p in path:
        doc = doc[p]
    return doc


def mutate_doc(rng: random.Random, doc):
    doc = copy.deepcopy(doc)
    for _ in range(rng.choice((1, 1, 1, 2, 3))):
        paths = [p for p in _paths(doc) if p]
        if not paths:
            return doc
        path = rng.choice(paths)
        parent, last = _get(doc, path[:-1]), path[-1]
        action = rng.random()
        if action < 0.6:
            parent[last] = copy.deepcopy(rng.choice(AWKWARD))
        elif action < 0.75:
            del parent[last]
        elif action < 0.85 and isinstance(parent, dict):
            parent[rng.choice(["colour", "extra", "holdings", "hedge", "policies"])] = rng.choice(AWKWARD)
        elif isinstance(parent[last], (int, float)) and not isinstance(parent[last], bool):
            parent[last] = parent[last] * rng.choice((-1, 0, 1e6, 1e-6, 1e300))
        elif isinstance(parent, list):
            parent.append(copy.deepcopy(parent[last]))
    return doc


def mutate_text(rng: random.Random, text: str) -> bytes:
    """Text- and byte-level damage of a YAML document."""
    choice = rng.randrange(12)
    lines = text.splitlines()
    if choice == 0:  # a plain scalar where a number was
        numeric = [i for i, ln in enumerate(lines) if ln.rstrip()[-1:].isdigit() and ": " in ln]
        if numeric:
            i = rng.choice(numeric)
            lines[i] = lines[i].rsplit(": ", 1)[0] + ": " + rng.choice(RAW_SCALARS)
        return "\n".join(lines).encode()
    if choice == 1:  # a duplicated line (duplicate key)
        i = rng.randrange(len(lines))
        lines.insert(i, lines[i])
        return "\n".join(lines).encode()
    if choice == 2:
        return text.encode()[: rng.randrange(len(text) + 1)]
    if choice == 3:
        data = bytearray(text.encode())
        for _ in range(rng.randint(1, 8)):
            data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
        return bytes(data)
    if choice == 4:
        return text.encode(rng.choice(["utf-16", "utf-16-le", "utf-8-sig", "utf-32", "cp1252"]), errors="replace")
    if choice == 5:  # billion laughs
        bomb = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n' + "".join(
            f"{chr(98 + i)}: &{chr(98 + i)} [" + ",".join([f"*{chr(97 + i)}"] * 9) + "]\n" for i in range(8))
        return (bomb + text).encode()
    if choice == 6:
        depth = rng.choice((60, 200, 5000))
        return (text + "\nextra: " + "[" * depth + "]" * depth + "\n").encode()
    if choice == 7:
        return os.urandom(rng.randint(1, 200)) if rng.random() < 0.5 else b"\x00" * 50
    if choice == 8:
        return (text + "\n---\n" + text).encode()
    if choice == 9:
        return text.replace("BTC", "Bé€").encode("latin-1", errors="replace")
    if choice == 10:
        return (text + "\nname: " + "9" * rng.choice((100, 5000)) + "\n").encode()
    return text.replace(": ", ":", 1).encode()


def _dump(doc) -> str:
    return yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)


def yaml_bytes(rng: random.Random, seed_doc) -> bytes:
    doc = mutate_doc(rng, seed_doc) if rng.random() < 0.7 else seed_doc
    text = _dump(doc)
    return mutate_text(rng, text) if rng.random() < 0.4 else text.encode()


# ----------------------------------------------------------------------------- generators
def _portfolio_seed() -> dict:
    return yaml.safe_load((ROOT / "examples" / "portfolio.yaml").read_text())


def _backtest_seed() -> dict:
    return yaml.safe_load((ROOT / "examples" / "backtest.yaml").read_text())


def gen_plan(rng: random.Random, seeds) -> Case:
    data = yaml_bytes(rng, seeds["portfolio"])
    cmd = rng.choice((["plan", "{dir}/book.yaml"], ["plan", "{dir}/book.yaml", "--json"],
                      ["scenario", "{dir}/book.yaml"], ["scenario", "{dir}/book.yaml", "--json"],
                      ["scenario", "{dir}/book.yaml", "--shocks", rng.choice(FLAG_VALUES + ["-50,0,50", "-100"])],
                      ["scenario", "{dir}/book.yaml", "--asset-shock", "SOL=" + rng.choice(FLAG_VALUES)],
                      ["scenario", "{dir}/book.yaml", "--horizon-days", rng.choice(FLAG_VALUES)],
                      ["scenario", "{dir}/book.yaml", "--benchmark", rng.choice(FLAG_VALUES)]))
    return Case("plan", cmd, {"book.yaml": data})


def synthetic_store(path: Path, seed: int = 0) -> Path:
    """BTC and ETH spot, Binance perpetual and 8-hourly funding for the example config's
    2021-2024, as random walks: enough for every backtest case to reach the engine."""
    import numpy as np
    import pandas as pd

    from hedgekit.data import Store

    rng = np.random.default_rng(seed)
    store = Store(path)
    days = pd.date_range("2021-01-01", "2024-12-31", freq="1D", tz="UTC")
    hours = pd.date_range("2021-01-01", "2025-01-01", freq="8h", tz="UTC")
    with store.batch():
        for coin, start in (("BTC", 30000.0), ("ETH", 1000.0)):
            close = start * np.exp(np.cumsum(rng.normal(0, 0.03, len(days))))
            bars = pd.DataFrame({"open": close, "high": close * 1.02, "low": close * 0.98, "close": close,
                                 "volume": 1.0}, index=days)
            store.write("price", "binance", f"{coin}/USDT", "1d", bars)
            store.write("futures", "binance", f"{coin}/USDT:USDT", "1d", bars * 1.0005)
            rates = pd.DataFrame({"rate": rng.normal(0.0001, 0.0001, len(hours)), "interval_hours": 8.0},
                                 index=hours)
            store.write("funding", "binance", f"{coin}/USDT:USDT", "8h", rates)
    return path


def gen_backtest(rng: random.Random, seeds) -> Case:
    data = yaml_bytes(rng, seeds["backtest"])
    extra = rng.choice(([], ["--json"], ["--html", "{dir}/out.html"], ["--png", "{dir}/out.png"],
                        ["--html", "{dir}"], ["--html", "{dir}/missing/out.html"], ["--png", "/proc/x.png"]))
    store = seeds.get("store") or "{dir}/store"
    return Case("backtest", ["backtest", "{dir}/bt.yaml", "--data-dir", str(store), *extra], {"bt.yaml": data},
                setup=lambda d: (d / "store").mkdir(exist_ok=True))


_CALC = {
    "pnl": {"--type": "linear", "--side": "long", "--contracts": "2", "--contract-size": "0.001",
            "--entry": "60000", "--exit": "61000"},
    "margin": {"--type": "inverse", "--side": "short", "--contracts": "10", "--contract-size": "100",
               "--entry": "60000", "--leverage": "5", "--mmr": "0.005"},
    "liquidation": {"--type": "linear", "--side": "long", "--contracts": "1", "--contract-size": "1",
                    "--entry": "60000", "--margin-mode": "isolated", "--wallet": "6000", "--mmr": "0.005"},
    "funding": {"--type": "quanto", "--side": "short", "--contracts": "3", "--contract-size": "0.0001",
                "--mark": "60000", "--rate": "0.0001"},
}
_CALC_EXTRA = ["--base", "--settle", "--venue", "--symbol", "--taker-fee", "--convention", "--intervals",
               "--settle-price", "--other-upnl", "--maint-amount"]


def gen_calc(rng: random.Random, seeds) -> Case:
    sub = rng.choice(list(_CALC))
    flags = dict(_CALC[sub])
    for _ in range(rng.randint(1, 3)):
        action = rng.random()
        if action < 0.3 and flags:
            del flags[rng.choice(list(flags))]
        elif action < 0.7 and flags:
            flags[rng.choice(list(flags))] = rng.choice(FLAG_VALUES)
        else:
            flags[rng.choice(_CALC_EXTRA)] = rng.choice(FLAG_VALUES + ["binance-usdm", "BTCUSDT", "okx", "dydx"])
    argv = ["calc", sub]
    for k, v in flags.items():
        argv += [k, v]
    if rng.random() < 0.3:
        argv.append("--json")
    return Case("calc", argv)


def _kline_csv(rng: random.Random, n: int = 30) -> str:
    rows = ["open_time,open,high,low,close,volume,close_time"]
    t0 = 1_640_995_200_000  # 2022-01-01 UTC in ms
    price = 40000.0
    for i in range(n):
        o = price
        c = price * (1 + rng.uniform(-0.03, 0.03))
        rows.append(f"{t0 + i * 86_400_000},{o:.2f},{max(o, c) * 1.01:.2f},{min(o, c) * 0.99:.2f},{c:.2f},"
                    f"{rng.uniform(10, 1000):.3f},{t0 + (i + 1) * 86_400_000 - 1}")
        price = c
    return "\n".join(rows) + "\n"


def _yahoo_csv(rng: random.Random, n: int = 30) -> str:
    rows = ["Date,Open,High,Low,Close,Adj Close,Volume"]
    price = 2000.0
    for i in range(n):
        c = price * (1 + rng.uniform(-0.03, 0.03))
        rows.append(f"2022-01-{i + 1:02d},{price:.2f},{max(price, c) * 1.01:.2f},{min(price, c) * 0.99:.2f},"
                    f"{c:.2f},{c:.2f},{rng.randint(1, 10**6)}")
        price = c
    return "\n".join(rows) + "\n"


def _funding_csv(rng: random.Random, n: int = 30) -> str:
    rows = ["calc_time,funding_interval_hours,last_funding_rate"]
    t0 = 1_640_995_200_000
    for i in range(n):
        rows.append(f"{t0 + i * 8 * 3_600_000},8,{rng.uniform(-0.0005, 0.0005):.8f}")
    return "\n".join(rows) + "\n"


def _long_csv(rng: random.Random) -> str:
    rows = ["date,exchange,symbol,open,high,low,close,volume"]
    for venue in ("binance", rng.choice(("okx", "bad venue/x", "Ω" * 3))):
        for i in range(10):
            rows.append(f"2022-01-{i + 1:02d},{venue},BTC,100,110,90,105,1")
    return "\n".join(rows) + "\n"


_CELLS = ["inf", "-inf", "1e300", "-5", "0", "nan", "", "abc", "2090-01-01", "1900-01-01", "99999999999999999999",
          "1e-310", "[/]", "\x1b[31m"]


def mutate_csv(rng: random.Random, text: str) -> str:
    lines = text.splitlines()
    for _ in range(rng.randint(1, 4)):
        i = rng.randrange(1, len(lines))
        cells = lines[i].split(",")
        j = rng.randrange(len(cells))
        action = rng.random()
        if action < 0.6:
            cells[j] = rng.choice(_CELLS)
        elif action < 0.8:
            try:
                cells[j] = repr(float(cells[j]) * rng.choice((1000, 0.001, -1)))
            except ValueError:
                cells[j] = rng.choice(_CELLS)
        else:
            cells = cells[: rng.randrange(len(cells))]
        lines[i] = ",".join(cells)
    return "\n".join(lines) + "\n"


def gen_import(rng: random.Random, seeds) -> Case:
    kind = rng.randrange(4)
    name, text = [("BTCUSDT-1d-2022-01.csv", _kline_csv(rng)), ("ETH-USD_1d.csv", _yahoo_csv(rng)),
                  ("BTCUSDT-fundingRate.csv", _funding_csv(rng)), ("daily.csv", _long_csv(rng))][kind]
    if rng.random() < 0.6:
        text = mutate_csv(rng, text)
    data = text.encode()
    if rng.random() < 0.3:
        name += ".gz"
        data = gzip.compress(data)
        damage = rng.randrange(3)
        if damage == 0:
            data = data[: rng.randrange(1, len(data))]
        elif damage == 1:
            b = bytearray(data)
            b[rng.randrange(10, len(b))] ^= 1 << rng.randrange(8)
            data = bytes(b)
    elif rng.random() < 0.15:
        data = rng.choice((text.encode("utf-16"), os.urandom(300), data[: len(data) // 2]))
    argv = ["data", "import", "{dir}/" + name, "--data-dir", "{dir}/store"]
    setup = None
    for _ in range(rng.choice((0, 0, 1, 2))):
        flag = rng.choice(("--format", "--venue", "--symbol", "--tz-offset", "--data-dir", "--json",
                           "--accept-outliers", "--replace"))
        if flag in ("--json", "--accept-outliers", "--replace"):
            argv.append(flag)
        elif flag == "--data-dir":
            argv[argv.index("--data-dir") + 1] = "{dir}/afile"
            def setup(d):  # a file where a folder is expected
                return (d / "afile").write_text("not a folder")
        else:
            argv += [flag, rng.choice(FLAG_VALUES + ["binance", "x" * 300, "yahoo-csv", "binance-kline-csv",
                                                    "0.5", "-3", "BTC/USDT", "funding-parquet"])]
    cases_after = rng.choice((None, "check", "list"))
    if cases_after:
        return Case("import", argv, {name: data}, setup=_then(setup, argv, cases_after))
    return Case("import", argv, {name: data}, setup=setup)


def _then(setup, argv, command):
    """Import first (its result is checked by the case itself), then run data check/list."""
    def prepare(folder: Path) -> None:
        if setup:
            setup(folder)
        from hedgekit.cli import main

        real = [a.replace("{dir}", str(folder)) for a in argv]
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()), \
                contextlib.suppress(Exception):  # the import itself is judged by gen_import's cases
            main(real)
    prepare.command = command  # type: ignore[attr-defined]
    return prepare


def gen_import_then(rng: random.Random, seeds) -> Case:
    case = gen_import(rng, seeds)
    store = "{dir}/store"
    setup = case.setup if case.setup is not None and hasattr(case.setup, "command") else _then(
        case.setup, case.argv, "check")
    command = getattr(setup, "command", "check")
    argv = ["data", command, "--data-dir", store] + (["--json"] if rng.random() < 0.3 else [])
    return Case("import-then", argv, case.files, setup=setup)


def gen_analyze(rng: random.Random, seeds) -> Case:
    flags = {"--assets": "SOL,ETH", "--against": "BTC", "--data-dir": "{dir}/store"}
    for _ in range(rng.randint(1, 3)):
        flags[rng.choice(("--assets", "--against", "--window", "--step", "--start", "--end", "--freq",
                          "--halflife", "--method", "--returns", "--hedge-kind", "--venue"))] = rng.choice(
            FLAG_VALUES + ["2021-01-01", "BTC,BTC", "BASKET", "1d", "ewma"])
    argv = ["analyze"]
    for k, v in flags.items():
        argv += [k, v]
    return Case("analyze", argv, setup=lambda d: (d / "store").mkdir(exist_ok=True))


def gen_help(rng: random.Random, seeds) -> Case:
    return Case("help", rng.choice((["--help"], ["--version"], ["plan", "--help"], ["calc", "pnl", "--help"],
                                    ["data", "import", "--help"], ["backtest", "--help"], ["nosuch"],
                                    ["calc", "pnl"], ["calc", "pnl", "--type"], ["plan"],
                                    ["plan", "/dev/zero"], ["plan", "/"], ["plan", "/nonexistent.yaml"])))


GENERATORS = [(gen_plan, 30), (gen_backtest, 15), (gen_calc, 20), (gen_import, 15), (gen_import_then, 8),
              (gen_analyze, 8), (gen_help, 4)]


def fuzz(budget: int, seed: int, *, keep: Path | None = None, log=print, engine: bool = True) -> list[Finding]:
    """Run ``budget`` cases from ``seed``; the findings (empty when every promise held).
    ``engine``: backtest cases run on a synthetic store (slower: the simulation runs) instead
    of an empty one (only the config is checked)."""
    rng = random.Random(seed)
    seeds: dict = {"portfolio": _portfolio_seed(), "backtest": _backtest_seed()}
    if engine:
        seeds["store"] = synthetic_store(Path(tempfile.mkdtemp(prefix="hedgekit-fuzz-store-")), seed)
    gens, weights = zip(*GENERATORS, strict=True)
    findings: list[Finding] = []
    os.environ.setdefault("HEDGEKIT_DATA_DIR", tempfile.mkdtemp(prefix="hedgekit-fuzz-empty-"))
    os.environ["COLUMNS"] = "100"
    t0 = time.perf_counter()
    for n in range(budget):
        gen = rng.choices(gens, weights)[0]
        case = gen(rng, seeds)
        folder = Path(tempfile.mkdtemp(prefix="hedgekit-fuzz-"))
        try:
            found = run_case(case, folder)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        if found is not None:
            findings.append(found)
            log(found.describe())
            if keep is not None:
                where = keep / f"case-{n:05d}"
                where.mkdir(parents=True, exist_ok=True)
                (where / "argv.json").write_text(json.dumps(case.argv))
                for name, data in case.files.items():
                    (where / name).write_bytes(data)
    log(f"{budget} cases, seed {seed}: {len(findings)} findings in {time.perf_counter() - t0:.1f} s")
    log("outcomes (kind, exit code): " + ", ".join(f"{k}/{c}: {n}" for (k, c), n in sorted(OUTCOMES.items())))
    return findings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=int, default=300, help="number of cases (default 300)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--keep", type=Path, default=None, help="save failing inputs under this folder")
    parser.add_argument("--errors", action="store_true", help="also list the error lines seen, most common first")
    parser.add_argument("--no-engine", action="store_true", help="backtest cases check the config only (faster)")
    args = parser.parse_args(argv)
    found = fuzz(args.budget, args.seed, keep=args.keep, engine=not args.no_engine)
    if args.errors:
        for text, n in sorted(ERRORS.items(), key=lambda kv: -kv[1]):
            print(f"{n:5d}  {text}")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
