"""The package as users install it: a wheel of this tree, installed (not editable), run from outside the checkout.

Everything `tracker` reads at run time (migrations, named queries, the bundled labels) must ship inside the
package. `.venv-wheel` is created with its dependencies by the README's test command (`python3 -m venv
.venv-wheel && .venv-wheel/bin/pip install -q .`); this test builds a wheel of the current tree offline,
installs it there without dependencies or an index, and runs that venv's `bin/tracker` from a temporary
directory, comparing its answers with the same commands run from the checkout.
"""

from __future__ import annotations

import csv
import fcntl
import io
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import dataset
from tests.support.helpers import run_cli
from tracker.queries import EXPORT_COLUMNS

ROOT = Path(__file__).resolve().parent.parent
WHEEL_VENV = ROOT / ".venv-wheel"
MAKE_VENV = "python3 -m venv .venv-wheel && .venv-wheel/bin/pip install -q ."
DAY = "2026-02-09"  # dataset day 39
SOURCE_QUERIES = ROOT / "tracker" / "sql" / "queries"
SOURCE_LABELS = ROOT / "tracker" / "data" / "labels"
SOURCE_MIGRATIONS = ROOT / "tracker" / "migrations"
# Not part of a build: virtualenvs, npm, VCS, build output, caches, databases.
NOT_BUILT = shutil.ignore_patterns(".git", ".venv*", "node_modules", "build", "dist", "*.egg-info", "__pycache__",
                                   ".pytest_cache", "*.duckdb", "*.duckdb.wal", "*.so")


def _missing_venv() -> None:
    message = (f"{WHEEL_VENV} is missing: create it as the README's test command does "
               f"(`{MAKE_VENV}`, part of .ci/run)")
    if os.environ.get("CI"):
        pytest.fail(message + " — required under CI")
    pytest.skip(message)


def _run(args: list[str], cwd: Path, env: dict[str, str] | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    done = subprocess.run(args, capture_output=True, text=True, cwd=cwd, env=env, timeout=timeout)
    assert done.returncode == 0, f"{' '.join(args)}\n{done.stdout}\n{done.stderr}"
    return done


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """A wheel of the current tree, built offline from a copy (the checkout is left as it is)."""
    if not (WHEEL_VENV / "bin" / "python").exists():
        _missing_venv()
    work = tmp_path_factory.mktemp("wheel")
    source = work / "src"
    shutil.copytree(ROOT, source, symlinks=True, ignore=NOT_BUILT)
    out = work / "dist"
    _run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "--no-index",
          "-w", str(out), str(source)], cwd=work)
    [built] = out.glob("stablecoin_flow_tracker-*.whl")
    return built


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory) -> Iterator[tuple[Path, Path, dict[str, str]]]:
    """(bin/tracker, a directory outside the checkout, env): the wheel installed into .venv-wheel."""
    with (WHEEL_VENV / ".tracker-test.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # two test runs in one checkout share .venv-wheel: one at a time
        python = WHEEL_VENV / "bin" / "python"
        _run([str(python), "-m", "pip", "install", "-q", "--no-deps", "--no-index", "--force-reinstall",
              "--disable-pip-version-check", str(wheel)], cwd=wheel.parent)
        elsewhere = tmp_path_factory.mktemp("elsewhere")
        assert not elsewhere.resolve().is_relative_to(ROOT)
        env = {k: v for k, v in os.environ.items()
               if not k.startswith("TRACKER_") and k not in ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP")}
        env["PYTHONNOUSERSITE"] = "1"
        yield WHEEL_VENV / "bin" / "tracker", elsewhere, env


def test_wheel_ships_every_run_time_file(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    queries = sorted(path.name for path in SOURCE_QUERIES.glob("*.sql"))
    assert len(queries) >= 11
    for name in queries:
        assert f"tracker/sql/queries/{name}" in names, name
    assert sorted(n.rsplit("/", 1)[1] for n in names if n.startswith("tracker/sql/queries/")) == queries
    assert sorted(n for n in names if n.startswith("tracker/data/labels/")) == [
        f"tracker/data/labels/{path.name}"
        for path in sorted([*SOURCE_LABELS.glob("*.csv"), SOURCE_LABELS / "NOTICE", SOURCE_LABELS / "MANIFEST"])
    ] == [f"tracker/data/labels/{name}" for name in ("MANIFEST", "NOTICE", "ethereum-defillama.csv", "ethereum-eth-labels.csv",
                                                     "ethereum-etherscan-labels.csv", "issuers.csv", "tron-defillama.csv")]
    assert "tracker/data/schema.duckdb.gz" in names  # the schema template every new file starts from
    migrations = sorted(path.name for path in SOURCE_MIGRATIONS.glob("*.sql"))
    assert migrations and all(f"tracker/migrations/{name}" in names for name in migrations)
    for folder in ("views", "analytics"):  # every view/macro and analytic statement the store and anchors read
        source = sorted(f"tracker/sql/{folder}/{path.name}" for path in (ROOT / "tracker" / "sql" / folder).glob("*.sql"))
        assert source and sorted(n for n in names if n.startswith(f"tracker/sql/{folder}/")) == source
    # The native log scan and address book, compiled from their source when the wheel is built (not copied from
    # the checkout).
    suffix = sysconfig.get_config_var("EXT_SUFFIX")
    assert [n for n in names if n.startswith("tracker/ingest/evm/_logscan")] == [f"tracker/ingest/evm/_logscan{suffix}"]
    assert [n for n in names if n.startswith("tracker/_addressbook")] == [f"tracker/_addressbook{suffix}"]
    assert "tracker/cli/__init__.py" in names and not any(n.startswith(("tests/", "bench/", "queries/", "data/")) for n in names)


def test_installed_tracker_runs_from_anywhere(installed, computed: Path) -> None:
    tracker, elsewhere, env = installed

    def run(*args: str) -> str:
        return _run([str(tracker), "--db", str(computed), *args], cwd=elsewhere, env=env).stdout

    def source(*args: str) -> str:
        done = run_cli("--db", str(computed), *args)
        assert done.returncode == 0, done.stderr
        return done.stdout

    # The installed package is the one running, with its data inside .venv-wheel.
    probe = _run([str(WHEEL_VENV / "bin" / "python"), "-c",
                  "import json, tracker, tracker.analytics.labels, tracker.queries, tracker.ingest.evm.native as native,"
                  " tracker.store as store;"
                  " print(json.dumps({'module': tracker.__file__, 'native': native._logscan.__file__,"
                  " 'book': store._addressbook.__file__,"
                  " 'templated': store.Store.open(__import__('pathlib').Path('fresh.duckdb')).from_template,"
                  " 'queries': str(tracker.queries.QUERIES_DIR), 'labels': str(tracker.analytics.labels.BUNDLED_DIR),"
                  " 'names': tracker.queries.named_queries()}))"], cwd=elsewhere, env=env)
    found = json.loads(probe.stdout)
    assert found["templated"] is True  # a new file starts from the installed schema template
    for key in ("module", "queries", "labels", "native", "book"):
        assert Path(found[key]).resolve().is_relative_to(WHEEL_VENV.resolve()), found
        assert not Path(found[key]).resolve().is_relative_to((ROOT / "tracker").resolve()), found

    # The report, as json and as a table: the checkout's figures.
    report = json.loads(run("report", "--date", DAY, "--format", "json"))
    assert report == json.loads(source("report", "--date", DAY, "--format", "json"))
    assert report["regime"]["regime"] == "risk_off" and report["regime"]["score"] == -1.5
    reserves = {row["entity"]: row for row in report["sections"]["exchange reserves"]}
    assert reserves["ExA"]["reserve_end"] == "100000000.000000" and reserves["ExA"]["change"] == "-7000000.000000"
    table = run("report", "--date", DAY)
    assert table == source("report", "--date", DAY)
    assert table.startswith(f"USDT flows and risk report — {DAY} (UTC)\n")
    assert "regime: risk_off (score -1.50, confidence 50%) — shifted today" in table

    # Every named query: the same names as the source tree's files, the same answers as the checkout's, on the
    # dataset with liquidations, estimated levels and option chains added (a copy: the report above stays as is).
    names = found["names"]
    assert names == sorted(path.stem for path in SOURCE_QUERIES.glob("*.sql")) and len(names) >= 11
    fuller = elsewhere / "fuller.duckdb"
    shutil.copyfile(computed, fuller)
    dataset.add_liquidations(fuller)
    dataset.add_options(fuller)
    for name in names:
        text = "\n".join(line for line in (SOURCE_QUERIES / f"{name}.sql").read_text().splitlines()
                         if not line.lstrip().startswith("--"))
        on = str(dataset.day(34)) if name == "nearest_liquidation_levels" else DAY  # the levels' snapshot day
        params = [*(["-p", "day", on] if "$day" in text else []), *(["-p", "underlying", "BTC"] if "$underlying" in text else [])]
        answer = _run([str(tracker), "--db", str(fuller), "query", name, *params, "--format", "csv"], cwd=elsewhere,
                      env=env).stdout
        assert answer == run_cli("--db", str(fuller), "query", name, *params, "--format", "csv").stdout, name
        assert len(answer.splitlines()) >= 2, f"{name}: no rows"
    unknown = subprocess.run([str(tracker), "--db", str(computed), "query", "no_such_query"], capture_output=True,
                             text=True, cwd=elsewhere, env=env, timeout=60)
    assert unknown.returncode == 1 and f"(bundled: {', '.join(names)})" in unknown.stderr

    # A user's own .sql file (relative to where tracker runs) and inline SQL work as before.
    (elsewhere / "mine.sql").write_text("SELECT count(*) AS entities FROM (SELECT DISTINCT entity FROM labels)\n")
    assert run("query", "mine.sql", "--format", "csv") == "entities\n2\n"  # the dataset's ExA and ExB
    assert run("query", "SELECT 6 * 7 AS answer", "--format", "csv") == "answer\n42\n"

    # export daily_flows: the contracted header, the checkout's rows, the figures checked by hand.
    exported = run("export", "daily_flows")
    assert exported == source("export", "daily_flows")
    flows = list(csv.DictReader(io.StringIO(exported)))
    assert tuple(next(csv.reader(io.StringIO(exported)))[:10]) == EXPORT_COLUMNS["exchange_netflow_daily"]
    assert len(flows) == 41 and {row["entity"] for row in flows} == {"ExA", "ExB"}
    day39 = {row["entity"]: row for row in flows if row["day"] == DAY}
    assert (day39["ExA"]["inflow"], day39["ExA"]["outflow"], day39["ExA"]["netflow"]) == (
        "3000000.000000", "10000000.000000", "-7000000.000000")
    assert day39["ExB"]["netflow"] == "3000000.000000" and day39["ExB"]["reserve_end"] == "10000000.000000"


def test_installed_tracker_loads_the_bundled_labels(installed) -> None:
    tracker, elsewhere, env = installed
    fresh = elsewhere / "fresh.duckdb"
    listed = _run([str(tracker), "--db", str(fresh), "labels", "list", "--format", "csv"], cwd=elsewhere, env=env)
    table = list(csv.DictReader(io.StringIO(listed.stdout)))
    bundled = [row for path in sorted(SOURCE_LABELS.glob("*.csv"))
               for row in csv.DictReader(io.StringIO(path.read_text(encoding="utf-8")))]
    assert len(table) == len(bundled) > 0
    entities = {(row["chain"], row["entity"], row["category"]) for row in table}
    for chain in ("ethereum", "tron"):
        assert (chain, "Binance", "exchange") in entities and (chain, "Tether", "issuer") in entities
    assert {row["entity"] for row in table} == {row["entity"] for row in bundled}
    binance = _run([str(tracker), "--db", str(fresh), "labels", "list", "--entity", "binance"], cwd=elsewhere, env=env)
    assert "0x28c6c06298d514db089934071355e5743bf21d60  Binance  exchange" in binance.stdout
