"""`tracker config show`."""

from __future__ import annotations

import typer

from tracker import settings
from tracker.cli.common import OutputFormat, config_app, output, report


@config_app.command("show")
def config_show(format: OutputFormat = typer.Option(OutputFormat.table, "--format")) -> None:
    """Every setting's effective value (secrets masked), where it comes from, and its environment variable."""
    if format is OutputFormat.table:  # as tracker.toml text: copy what you want to change
        print(settings.as_toml(), end="")
        return
    print(output.render(report.table(["key", "value", "source", "env"], settings.effective()), format.value), end="")
