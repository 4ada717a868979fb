"""The `tracker` command line: thin wrappers that parse, call one core function, print.

One module per command group registers its commands on the apps in `common`; `main` maps every
error to one line and an exit code, in one place.
"""

from __future__ import annotations

import gc
import os
import sys

# A command is a short process that builds many long-lived objects once (imports, the command tree) and few
# cycles: the default (a collection every 700 allocations) spends start-up walking objects that stay.
gc.set_threshold(100_000, 50, 1000)

import typer
import typer.main

try:  # typer ≥ 0.20 carries its own copy of click
    from typer._click import exceptions as click_exceptions
except ImportError:  # pragma: no cover - older typer on PyPI click
    from click import exceptions as click_exceptions  # type: ignore[no-redef]

from tracker.cli import config, labels, market, query, report, signals, sync, verify  # noqa: F401 (each registers its commands)
from tracker.cli.common import app, ends_at_once
from tracker.errors import TrackerError

__all__ = ["app", "main", "run"]


def run() -> None:
    """The `tracker` executable: `main`, then, for a command that asked for it (`end_at_once_when_done`), the
    end of the process without the interpreter's teardown, output flushed first."""
    main()
    if ends_at_once():
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)


def main() -> None:
    command = typer.main.get_command(app)
    try:
        command.main(prog_name="tracker", standalone_mode=False)
    except click_exceptions.NoArgsIsHelpError:
        sys.exit(0)  # the help text was printed
    except click_exceptions.UsageError as error:
        where = f"{error.ctx.command_path}: " if error.ctx else ""
        print(f"error: {where}{error.format_message()}", file=sys.stderr)
        sys.exit(2)
    except typer.Exit as done:
        sys.exit(done.exit_code)
    except typer.Abort:
        print("interrupted", file=sys.stderr)
        sys.exit(130)
    except TrackerError as error:
        print(f"error: {error}", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        print("interrupted: everything up to the last committed step is kept; re-run to resume", file=sys.stderr)
        sys.exit(130)
    except Exception as error:
        if not _is_database_error(error):
            raise
        print(f"error: database: {str(error).splitlines()[0]}", file=sys.stderr)
        sys.exit(1)


def _is_database_error(error: Exception) -> bool:
    """A DuckDB error (only a command that loaded DuckDB can raise one: the CLI does not load it itself)."""
    duckdb = sys.modules.get("duckdb")
    return duckdb is not None and isinstance(error, duckdb.Error)
