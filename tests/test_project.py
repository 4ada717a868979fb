"""The project's own promises: CI runs the README's test command; npm tools are pinned; run-time files ship."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
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


def _module_imports() -> dict[str, set[str]]:
    """Each tracker module -> the tracker modules it imports at module level (TYPE_CHECKING blocks aside)."""
    import ast

    modules: dict[str, set[str]] = {}
    for path in (ROOT / "tracker").rglob("*.py"):
        name = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        imported: set[str] = set()
        for node in ast.parse(path.read_text()).body:
            statements = node.body if isinstance(node, ast.Try) else [node]
            for statement in statements:
                if isinstance(statement, ast.ImportFrom) and (statement.module or "").startswith("tracker"):
                    imported |= {statement.module, *(f"{statement.module}.{alias.name}" for alias in statement.names)}
                elif isinstance(statement, ast.Import):
                    imported |= {alias.name for alias in statement.names if alias.name.startswith("tracker")}
        modules[name] = imported
    return {name: {m for m in imported if m in modules and m != name} for name, imported in modules.items()}


def test_packages_by_domain_without_import_cycles() -> None:
    """A subpackage per domain, few top-level modules, and no module-level import cycle."""
    graph = _module_imports()
    assert {"tracker.ingest", "tracker.market", "tracker.analytics", "tracker.report", "tracker.cli"} <= set(graph)
    top_level = [name for name in graph if name.count(".") == 1 and not (ROOT / name.replace(".", "/")).is_dir()]
    assert len(top_level) <= 12, top_level
    done: set[str] = set()

    def visit(name: str, path: list[str]) -> None:
        assert name not in path, f"import cycle: {' -> '.join(path[path.index(name):] + [name])}"
        if name in done:
            return
        for imported in sorted(graph[name]):
            visit(imported, path + [name])
        done.add(name)

    for name in sorted(graph):
        visit(name, [])
    assert "tracker.ingest.evm.logs" in graph["tracker.ingest.sync"]  # the graph holds the edges it should
    core = [name for name in graph if not name.startswith(("tracker.cli", "tracker.__main__"))]
    assert not any(m.startswith("tracker.cli") for name in core for m in graph[name]), "the core imports the CLI"


def test_the_cli_and_a_sync_start_without_polars_or_duckdb() -> None:
    """The command line, and a sync up to its first eth_getLogs (node checks, sizing requests by the native scan's
    counts), load neither polars nor DuckDB: `tracker --help` never needs them, and a sync loads them while the
    node answers (tracker.ingest.sync). A module-level import of either on that path would undo it."""
    code = ("import sys, tracker.cli, tracker.ingest.sources, tracker.ingest.sync, tracker.ingest.evm.logs, "
            "tracker.ingest.evm.node; print(sorted(m for m in ('polars', 'duckdb') if m in sys.modules))")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "[]"
