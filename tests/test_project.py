"""The project's own promises: CI runs the README's test command; npm tools are pinned; run-time files ship."""

from __future__ import annotations

import json
import os
import re
import tomllib
from pathlib import Path

from tracker.queries import named_queries

ROOT = Path(__file__).resolve().parent.parent


def readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    return re.findall(r"```sh\n(.+?)\n```", text, flags=re.S)


def test_ci_runs_the_readme_test_command() -> None:
    test_command = next(c for c in readme_commands() if "pytest" in c)
    ci_lines = [line for line in (ROOT / ".ci" / "run").read_text().splitlines() if line and not line.startswith("#")]
    assert test_command in ci_lines


def test_npm_tools_are_pinned_exactly() -> None:
    package = json.loads((ROOT / "package.json").read_text())
    lock = json.loads((ROOT / "package-lock.json").read_text())
    for name, version in package["dependencies"].items():
        assert re.fullmatch(r"\d+\.\d+\.\d+", version), f"{name} is not pinned: {version}"
        assert lock["packages"][f"node_modules/{name}"]["version"] == version


def test_queries_dir_is_a_relative_symlink_to_the_packaged_queries() -> None:
    """One copy of the named queries, inside the package; `queries/` in the checkout points at it."""
    link = ROOT / "queries"
    assert link.is_symlink() and os.readlink(link) == "tracker/sql/queries"
    assert link.resolve() == (ROOT / "tracker" / "sql" / "queries").resolve()
    assert sorted(path.stem for path in link.glob("*.sql")) == named_queries()
    assert len(named_queries()) >= 11


def test_run_time_files_are_package_data() -> None:
    """What the package reads at run time is declared package data and read with importlib.resources."""
    package_data = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    assert {"sql/queries/*.sql", "data/labels/*.csv"} <= set(package_data["tracker"])
    assert package_data["tracker.migrations"] == ["*.sql"]
    for module in sorted((ROOT / "tracker").rglob("*.py")):
        assert "__file__" not in module.read_text(), f"{module.name} reads files relative to the source tree"
    assert ".venv-wheel/" in (ROOT / ".gitignore").read_text().splitlines()
