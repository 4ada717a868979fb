"""README's command synopses and the real CLI name the same commands and options, so the docs cannot drift.

The CLI side is click's command tree of `tracker.cli.app` — what `tracker … --help` prints. The README side is
the fenced block under "## Command reference": one synopsis per command (indented lines continue it),
`tracker <command words> [options and positional arguments]`. Options are the `-x`/`--long` names written
there; positional arguments are upper-case words outside brackets (`FILE`, `CHAIN`, `TARGET`), named after
the argument `--help` shows. `--help` itself and hidden options and commands are left out on both sides.
Both ways must agree exactly. The other synopses in README (the `tracker [--db PATH] sync …` blocks, inline
`tracker report [--date …]`) may leave options out, but may not name one the command lacks.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import typer.main

from tracker.cli import app

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
SECTION = "## Command reference"

OPTION = re.compile(r"--?[A-Za-z][\w-]*")
WORD = re.compile(r"[a-z][a-z0-9_]*")
POSITIONAL = re.compile(r"[A-Z][A-Z0-9_]*")
# Options a command parses from its extra arguments (`tracker query -p KEY VALUE`) are declared in its help.
HELP_OPTION = re.compile(r"(?<![\w-])(--?[A-Za-z][\w-]*) [A-Z]+\b")


# --- the CLI ---------------------------------------------------------------------------------------------


def cli_commands() -> tuple[dict[str, set[str]], set[str]]:
    """Every visible command ("tracker sync ethereum"; "tracker" itself for the global options) → its option
    and argument names, as README writes them; and the commands that need a synopsis: every leaf command, and
    every group that takes options of its own (`tracker`, `tracker signals`)."""
    found: dict[str, set[str]] = {}
    required: set[str] = set()

    def walk(command, path: str) -> None:  # noqa: ANN001 - click's Command, whichever click typer carries
        names: set[str] = set()
        for param in command.params:
            if getattr(param, "hidden", False):
                continue
            if param.param_type_name == "argument":
                names.add(param.name.upper())
            else:
                names.update(param.opts + param.secondary_opts)
        subcommands = getattr(command, "commands", None)
        if subcommands is None and command.context_settings.get("allow_extra_args"):
            names.update(HELP_OPTION.findall(command.help or ""))
        names.discard("--help")
        found[path] = names
        if subcommands is None or names:
            required.add(path)
        for name, sub in (subcommands or {}).items():
            if not getattr(sub, "hidden", False):
                walk(sub, f"{path} {name}")

    walk(typer.main.get_command(app), "tracker")
    return found, required


# --- the README ------------------------------------------------------------------------------------------


def reference_lines(text: str) -> list[str]:
    """The synopses of the Command reference block, continuation lines joined."""
    start = text.find(f"\n{SECTION}\n")
    assert start >= 0, f"README.md has no '{SECTION}' section"
    block = re.search(r"^```[^\n]*\n(.*?)^```", text[start:], flags=re.S | re.M)
    assert block, f"README.md's '{SECTION}' section has no fenced block"
    lines: list[str] = []
    for line in block.group(1).splitlines():
        if not line.strip():
            continue
        if line[0].isspace():
            assert lines, f"continuation line before any synopsis: {line!r}"
            lines[-1] += " " + line.strip()
        else:
            lines.append(line.strip())
    return lines


def parse_synopsis(line: str) -> tuple[str, set[str], dict[str, set[str]]]:
    """`tracker [--db PATH] sync ethereum [--rpc URL] …` → ("tracker sync ethereum", positionals, options
    per command path). Options belong to the command whose words precede them, as click parses them."""
    tokens = line.split()
    assert tokens and tokens[0] == "tracker", f"a synopsis starts with 'tracker': {line!r}"
    path, positionals, options = "tracker", set(), {"tracker": set()}
    depth, naming, after_option = 0, True, False
    for token in tokens[1:]:
        bare = token.strip("[]").removesuffix("...").strip("[]")
        if depth == 0 and naming and WORD.fullmatch(bare) and bare == token:
            path += f" {token}"
            options.setdefault(path, set())
            continue
        pieces = [piece for piece in bare.split("|") if piece]
        flags = [piece for piece in pieces if OPTION.fullmatch(piece)]
        options[path].update(flags)
        if depth == 0 and not flags:
            naming = False
            if POSITIONAL.fullmatch(bare) and not after_option:
                positionals.add(bare)
        after_option = bool(flags) and depth == 0 and "[" not in token  # `--opt VALUE`: VALUE is no positional
        depth += token.count("[") - token.count("]")
    for names in options.values():
        names.discard("--help")
    return path, positionals, options


def readme_commands() -> dict[str, set[str]]:
    """Command path → option and positional names of its Command reference synopsis."""
    documented: dict[str, set[str]] = {}
    for line in reference_lines(README.read_text()):
        path, positionals, options = parse_synopsis(line)
        assert path not in documented, f"README.md's Command reference has two synopses of `{path}`"
        documented[path] = options[path] | positionals
        for where, names in options.items():
            if where != path and names:  # global options before the command words: `tracker [--db PATH] sync …`
                documented.setdefault(where, set()).update(names)
    return documented


def other_synopses(text: str) -> list[str]:
    """Synopses elsewhere in README: fenced-block lines starting `tracker ` (indented lines continue them) and
    inline code starting `tracker ` with a `[`; the Command reference itself is left out."""
    start = text.find(f"\n{SECTION}\n")
    end = text.find("\n## ", start + 1)
    text = text[:start] + text[end:]
    found: list[str] = []
    for block in re.findall(r"^```[^\n]*\n(.*?)^```", text, flags=re.S | re.M):
        current = None
        for line in block.splitlines():
            if line.startswith("tracker "):
                current = len(found)
                found.append(line.strip())
            elif current is not None and line[:1].isspace() and line.strip():
                found[current] += " " + line.strip()
            else:
                current = None
    prose = re.sub(r"^```.*?^```", "", text, flags=re.S | re.M)
    spans = (" ".join(span.split()) for span in re.findall(r"`([^`]+)`", prose))
    found += [span for span in spans if span.startswith("tracker ") and "[" in span]
    return found


def difference(command: str, cli: set[str], readme: set[str]) -> str:
    problems = []
    if missing := sorted(cli - readme):
        problems.append(f"README lacks {', '.join(missing)}")
    if extra := sorted(readme - cli):
        problems.append(f"README has {', '.join(extra)}, which `{command} --help` does not list")
    return f"`{command}`: " + "; ".join(problems)


# --- the checks ------------------------------------------------------------------------------------------

CLI, REQUIRED = cli_commands()


def test_the_parser_reads_synopses_as_click_would() -> None:
    path, positionals, options = parse_synopsis(
        "tracker [--db PATH] sync ethereum FILE [--from-block N | --since DAY] [-q|--quiet] [-p KEY VALUE]... "
        "[--format table|csv]")
    assert path == "tracker sync ethereum" and positionals == {"FILE"}
    assert options == {"tracker": {"--db"}, "tracker sync": set(),
                       "tracker sync ethereum": {"--from-block", "--since", "-q", "--quiet", "-p", "--format"}}
    assert parse_synopsis("tracker [--db PATH] [--config FILE] <command> ...") == (
        "tracker", set(), {"tracker": {"--db", "--config"}})
    assert parse_synopsis("tracker labels update")[:2] == ("tracker labels update", set())
    assert parse_synopsis("tracker x --out FILE [--quiet] CHAIN")[1] == {"CHAIN"}


def test_the_cli_walk_sees_every_kind_of_parameter() -> None:
    """Guards the walk itself: if it stopped seeing something, the comparisons below would pass vacuously."""
    assert {"--db", "--config"} <= CLI["tracker"]
    assert {"--rpc", "--scope", "-q", "--quiet"} <= CLI["tracker sync ethereum"]
    assert "FILE" in CLI["tracker labels import"] and "CHAIN" in CLI["tracker verify"]
    assert "-p" in CLI["tracker query"]  # parsed from its extra arguments, declared in its help
    assert "tracker signals" in REQUIRED  # a group that runs on its own, with options
    assert "tracker sync" in CLI and "tracker sync" not in REQUIRED
    assert len(REQUIRED) >= 18


def test_every_command_has_a_synopsis_and_every_synopsis_a_command() -> None:
    documented = readme_commands()
    undocumented = sorted(REQUIRED - set(documented))
    unknown = sorted(set(documented) - set(CLI))
    problems = []
    if undocumented:
        problems.append(f"commands missing from README.md's Command reference: {', '.join(undocumented)}")
    if unknown:
        problems.append(f"README.md's Command reference documents commands the CLI lacks: {', '.join(unknown)}")
    assert not problems, "; ".join(problems)


@pytest.mark.parametrize("command", sorted(CLI))
def test_synopsis_names_exactly_the_options_of_help(command: str) -> None:
    readme = readme_commands().get(command)
    if readme is None:
        assert command not in REQUIRED, f"`{command}` has no synopsis in README.md's Command reference"
        return  # a group without options of its own: its commands have the synopses
    assert readme == CLI[command], difference(command, CLI[command], readme)


def test_other_synopses_name_only_real_options() -> None:
    """Synopses in the prose may leave options out (`tracker run [--date …] [--format …]`), never name one
    that the command does not have."""
    synopses = other_synopses(README.read_text())
    assert len(synopses) >= 8, synopses  # the sync blocks and the inline ones; guards the scan itself
    problems = []
    for line in synopses:
        _, _, options = parse_synopsis(line)
        for command, names in options.items():
            if command not in CLI:
                problems.append(f"`{command}` is not a command (in README.md: {line})")
            elif extra := sorted(names - CLI[command]):
                problems.append(f"`{command}`: README has {', '.join(extra)}, which `{command} --help` does not "
                                f"list (in: {line})")
    assert not problems, "\n".join(problems)
