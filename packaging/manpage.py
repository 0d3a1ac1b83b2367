#!/usr/bin/python3
"""Writes pyhost(1) from the binary's own --help: the root command and each subcommand, so the man page never drifts
from the flags. Reads System.CommandLine's help layout: unindented "Heading:" lines, then indented entries whose name
and text are separated by two or more spaces.

    packaging/manpage.py BINARY > pyhost.1
"""

from __future__ import annotations

import datetime
import os
import re
import subprocess
import sys

SEE_ALSO = "gunicorn(1), python3(1), systemd.socket(5)"


def run_help(binary: str, *command: str) -> str:
    # A wide terminal, so help text comes unwrapped where System.CommandLine asks for the width.
    env = dict(os.environ, COLUMNS="1000")
    out = subprocess.run([binary, *command, "--help"], capture_output=True, text=True, check=True, timeout=30, env=env)
    return out.stdout


def sections(help_text: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in help_text.splitlines():
        if re.fullmatch(r"\S.*:", line):
            current = found.setdefault(line[:-1], [])
        elif current is not None and line.strip():
            current.append(line)
    return found


def entries(lines: list[str]) -> list[tuple[str, str]]:
    """("-b, --bind <bind>", "Address to listen on...") pairs; a line with no name continues the previous text."""
    result: list[tuple[str, str]] = []
    for line in lines:
        name, _, text = line.strip().partition("  ")
        indent = len(line) - len(line.lstrip())
        if result and indent > 2:
            result[-1] = (result[-1][0], f"{result[-1][1]} {line.strip()}")
        else:
            result.append((name.strip(), text.strip()))
    return result


def roff(text: str) -> str:
    """Escapes text for a roff line: backslashes, hyphens (so they stay hyphens), and a leading dot or quote."""
    text = text.replace("\\", "\\e").replace("-", "\\-")
    return "\\&" + text if text.startswith((".", "'")) else text


def describe(help_text: str) -> tuple[str, str]:
    parts = sections(help_text)
    description = " ".join(line.strip() for line in parts.get("Description", []))
    usage = " ".join(line.strip() for line in parts.get("Usage", []))
    return description, usage


def render(binary: str, version: str, date: str) -> str:
    root = run_help(binary)
    root_description, root_usage = describe(root)
    commands = [name.split()[0] for name, _ in entries(sections(root).get("Commands", []))]
    out = [
        f'.TH PYHOST 1 "{date}" "pyhost {roff(version)}" "User Commands"',
        ".SH NAME",
        f"pyhost \\- {roff(root_description.removeprefix('PyHost: '))}",
        ".SH SYNOPSIS",
    ]
    out.append(".nf")
    for command in commands:
        _, usage = describe(run_help(binary, command))
        out.append(f".B {roff(usage)}")
    out.append(".fi")
    out += [".SH DESCRIPTION", roff(root_description)]
    for command in commands:
        description, usage = describe(command_help := run_help(binary, command))
        out += [f".SH {roff(command.upper())}", f".B {roff(usage)}", ".PP", roff(description)]
        for heading in ("Arguments", "Options"):
            items = entries(sections(command_help).get(heading, []))
            if items:
                out += [f".SS {heading}"]
                for name, text in items:
                    out += [".TP", f".B {roff(name)}", roff(text)]
    out += [".SH OPTIONS", "Of pyhost itself:"]
    for name, text in entries(sections(root).get("Options", [])):
        out += [".TP", f".B {roff(name)}", roff(text)]
    out += [".SH SEE ALSO", SEE_ALSO, ""]
    return "\n".join(out)


def main() -> None:
    if len(sys.argv) != 2:
        raise SystemExit(f"usage: {sys.argv[0]} BINARY > pyhost.1")
    binary = sys.argv[1]
    version = subprocess.run([binary, "--version"], capture_output=True, text=True, check=True).stdout.strip()
    # SOURCE_DATE_EPOCH (reproducible-builds.org) fixes the date, so the same binary gives the same page.
    epoch = int(os.environ.get("SOURCE_DATE_EPOCH", datetime.datetime.now(datetime.timezone.utc).timestamp()))
    date = datetime.datetime.fromtimestamp(epoch, datetime.timezone.utc).strftime("%Y-%m-%d")
    sys.stdout.write(render(binary, version, date))


if __name__ == "__main__":
    main()
