#!/usr/bin/env python3
"""Mutation testing of hedgekit's money math with mutmut 3 (not part of CI: it takes minutes).

    python scripts/mutation.py                      # every module group below
    python scripts/mutation.py instruments margin   # a subset
    python scripts/mutation.py --survivors funding  # also list the surviving mutants

The project is copied to a scratch directory (``--workdir``, default under the system temp
dir) and mutmut runs there, so the repository gets no ``mutants/`` folder. Which files are
mutated and which tests run is the ``[tool.mutmut]`` section of pyproject.toml; the groups
below only filter mutant names, so ``portfolio`` covers both ``portfolio.py`` and a
``portfolio/`` package. Inspect a survivor with ``mutmut show NAME`` inside the workdir.

Score = killed / (killed + survived + no tests); a timeout counts as killed (the mutant
hung the tests). Real market data for the few tests that read it comes from
``HEDGEKIT_TEST_DATA`` or ``../shared/data`` beside the repository, as in the test suite.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
GROUPS = {  # group -> mutant-name prefix (module or package)
    "instruments": "hedgekit.instruments.",
    "margin": "hedgekit.margin.",
    "funding": "hedgekit.funding.",
    "portfolio": "hedgekit.portfolio.",
    "estimators": "hedgekit.estimators.",
}
COPY = ("src", "tests", "examples", "pyproject.toml")
KILLED = {"killed", "timeout", "caught by type check"}
COUNTED = KILLED | {"survived", "no tests"}
RESULT_LINE = re.compile(r"^\s+(?P<name>\S+__mutmut_\d+): (?P<status>.+)$")


def mutmut_command() -> list[str]:
    """mutmut next to this interpreter (a venv), else on PATH; refuses mutmut < 3."""
    local = Path(sys.executable).with_name("mutmut")
    exe = str(local) if local.exists() else shutil.which("mutmut")
    if exe is None:
        sys.exit("error: mutmut not found; pip install 'mutmut>=3'")
    version = subprocess.run([exe, "--version"], capture_output=True, text=True, check=False).stdout
    match = re.search(r"(\d+)\.\d+", version)
    if not match or int(match.group(1)) < 3:
        sys.exit(f"error: mutmut 3 or newer needed (found {version.strip() or 'unknown'})")
    return [exe]


def prepare(workdir: Path) -> None:
    """A fresh copy of the project in ``workdir`` (stale mutants of renamed files go too)."""
    if workdir.exists():
        shutil.rmtree(workdir)
    workdir.mkdir(parents=True)
    for name in COPY:
        src = REPO / name
        if src.is_dir():
            shutil.copytree(src, workdir / name, ignore=shutil.ignore_patterns("__pycache__"))
        elif src.exists():
            shutil.copy2(src, workdir / name)


def drop_missing_test_files(workdir: Path) -> None:
    """Leave out of the copied config the selected test files that no longer exist (renamed or
    split), with a warning, instead of letting mutmut's clean run fail on them."""
    config = workdir / "pyproject.toml"
    lines = config.read_text().splitlines(keepends=True)
    kept = []
    for line in lines:
        m = re.fullmatch(r'\s*"(tests/[^"]+\.py)",?\s*', line)
        if m and not (workdir / m[1]).exists():
            print(f"warning: {m[1]} (in [tool.mutmut] pytest_add_cli_args_test_selection) does not "
                  "exist; left out", file=sys.stderr)
            continue
        kept.append(line)
    config.write_text("".join(kept))


def child_env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)  # mutmut puts the mutated copy of src/ first on the path
    env.setdefault("HEDGEKIT_TEST_DATA", str(REPO.parent / "shared" / "data"))
    return env


def tally(results: str, groups: list[str]) -> tuple[dict[str, Counter], dict[str, list[str]]]:
    counts: dict[str, Counter] = {g: Counter() for g in groups}
    survivors: dict[str, list[str]] = {g: [] for g in groups}
    for line in results.splitlines():
        m = RESULT_LINE.match(line)
        if not m:
            continue
        name, status = m["name"], m["status"].strip()
        for g in groups:
            if name.startswith(GROUPS[g]):
                counts[g][status] += 1
                if status in ("survived", "no tests"):
                    survivors[g].append(f"{name} ({status})")
    return counts, survivors


def report(counts: dict[str, Counter]) -> str:
    stamp = datetime.now(UTC).strftime("%Y-%m-%d")
    lines = [f"mutation score, mutmut, {stamp}",
             f"{'module':<12} {'mutants':>7} {'killed':>6} {'survived':>8} {'no tests':>8} {'score':>6}"]
    for g, c in counts.items():
        killed = sum(c[s] for s in KILLED)
        counted = sum(c[s] for s in COUNTED)
        score = f"{100.0 * killed / counted:.1f}%" if counted else "-"
        lines.append(f"{g:<12} {sum(c.values()):>7} {killed:>6} {c['survived']:>8} "
                     f"{c['no tests']:>8} {score:>6}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("groups", nargs="*", metavar="module",
                        help=f"module groups to mutate (default: all of {', '.join(GROUPS)})")
    parser.add_argument("--workdir", type=Path,
                        default=Path(tempfile.gettempdir()) / f"hedgekit-mutation-{os.getuid()}")
    parser.add_argument("--max-children", type=int, default=None,
                        help="parallel mutant workers (mutmut's default: the CPU count)")
    parser.add_argument("--survivors", action="store_true", help="list surviving mutants")
    args = parser.parse_args(argv)
    unknown = [g for g in args.groups if g not in GROUPS]
    if unknown:
        parser.error(f"module: unknown {', '.join(unknown)}; one of {', '.join(GROUPS)}")
    groups = args.groups or list(GROUPS)
    mutmut = mutmut_command()
    workdir = args.workdir.resolve()
    if workdir == REPO or REPO in workdir.parents:
        parser.error("--workdir must be outside the repository")
    prepare(workdir)
    drop_missing_test_files(workdir)
    env = child_env()
    run = [*mutmut, "run"]
    if args.max_children:
        run += ["--max-children", str(args.max_children)]
    run += [GROUPS[g] + "*" for g in groups]
    code = subprocess.run(run, cwd=workdir, env=env, check=False).returncode
    if code != 0:
        print(f"error: mutmut run exited with {code} (workdir {workdir})", file=sys.stderr)
        return code
    out = subprocess.run([*mutmut, "results", "--all", "true"], cwd=workdir, env=env,
                         capture_output=True, text=True, check=True).stdout
    counts, survivors = tally(out, groups)
    print(report(counts))
    if args.survivors:
        for g in groups:
            for name in survivors[g]:
                print(f"  {name}")
    print(f"(mutmut state kept in {workdir}; 'mutmut show NAME' there shows a mutant)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
