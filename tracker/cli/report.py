"""`tracker report` and `tracker run`."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Optional

import typer

from tracker.cli.common import DATE, ReportFormat, app, html_report, job, optional_day, polars_threads_for_a_sync, report, say
from tracker.cli.common import chart as chart_module
from tracker.days import parse_day


def _report_day(day: Optional[str]) -> date:
    return parse_day(day, "--date") if day else datetime.now(timezone.utc).date() - timedelta(days=1)


def _print_report(ctx: typer.Context, built: "report.Report", format: ReportFormat, chart: Optional[str],
                  out: Optional[str] = None) -> None:
    text = html_report.render(ctx.obj["db"], built, format.value)
    if out:
        html_report.write_report(out, text)
        say(f"report: written to {out}")
    else:
        print(text, end="")
    if chart:
        days = chart_module.draw_chart(ctx.obj["db"], built.day, chart)
        say(f"chart: {days} days written to {chart}")
        say(chart_module.draw_liquidation_heatmap(ctx.obj["db"], built.day, chart_module.beside(chart, "liquidations")))
        say(chart_module.draw_options_chart(ctx.obj["db"], built.day, chart_module.beside(chart, "options")))


REPORT_FORMAT = typer.Option(ReportFormat.table, "--format", help="html: one self-contained page (inline CSS and "
                             "SVG charts, nothing fetched when opened).")
CHART = typer.Option(None, "--chart", help="Also draw the last 90 days as a PNG, the liquidation heatmap beside "
                     "it as FILE-liquidations.png and options OI by strike as FILE-options.png (needs matplotlib).")
OUT = typer.Option(None, "--out", help="Write the report to FILE (atomically) instead of standard output.")
HTML = typer.Option(None, "--html", help="Also write the HTML report to FILE (atomically).")


@app.command("report")
def report_command(ctx: typer.Context, day: Optional[str] = DATE, format: ReportFormat = REPORT_FORMAT,
                   chart: Optional[str] = CHART, out: Optional[str] = OUT) -> None:
    """The daily report: supply, exchange flows, reserves, market, regime (read-only)."""
    _print_report(ctx, report.build_report(ctx.obj["db"], _report_day(day)), format, chart, out)


@app.command("run")
def run_command(ctx: typer.Context, day: Optional[str] = DATE, format: ReportFormat = REPORT_FORMAT,
                chart: Optional[str] = CHART, html: Optional[str] = HTML) -> None:
    """The day's job: sync Ethereum and Tron to head, sync market data, compute signals, print the report."""
    polars_threads_for_a_sync()
    built = job.run_day(ctx.obj["db"], optional_day(day, "--date"), say)
    _print_report(ctx, built, format, chart)
    if html:
        _print_report(ctx, built, ReportFormat.html, None, html)
