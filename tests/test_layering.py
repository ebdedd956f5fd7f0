"""The one-way data flow is enforced: the import-linter contracts in pyproject.toml hold."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
PACKAGE = REPO_ROOT / "src" / "hedgekit"


def _top_level_modules() -> set[str]:
    """Every package and module directly under src/hedgekit (``__init__`` excluded)."""
    names = {p.stem for p in PACKAGE.glob("*.py") if p.stem != "__init__"}
    names |= {p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    return names


def _contracts() -> dict[str, dict]:
    config = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return {c["id"]: c for c in config["tool"]["importlinter"]["contracts"]}


def test_import_contracts_hold():
    # the lint-imports of the interpreter running the tests, on this checkout's sources
    exe = Path(sys.executable).parent / "lint-imports"
    assert exe.exists(), f"{exe} missing: install the dev extra (pip install -e '.[dev]')"
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT / "src"), env.get("PYTHONPATH")]))
    proc = subprocess.run([str(exe), "--no-cache", "--no-logo"], cwd=REPO_ROOT, env=env,
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "0 broken" in proc.stdout


def test_cli_contract_covers_every_other_top_level_module():
    # a new top-level module is covered by the "nothing imports cli" rule as soon as it exists
    sources = {m.removeprefix("hedgekit.") for m in _contracts()["cli-on-top"]["source_modules"]}
    assert sources == _top_level_modules() - {"cli", "__main__"}


def test_readme_development_table_names_every_top_level_module():
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("\n## Development"):]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    named = {line.split("|")[1].strip().strip("`").rstrip("/") for line in rows}
    assert named == _top_level_modules()
