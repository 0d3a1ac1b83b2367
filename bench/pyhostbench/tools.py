"""Builds what bench/run runs besides the servers: PyHost itself (`make build`) and bench/tools/OpenLoop, the open-loop
load generator (a small C# project outside PyHost's solution and tests), into artifacts/."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

BENCH = Path(__file__).resolve().parent.parent
REPO = BENCH.parent
OPENLOOP_PROJECT = BENCH / "tools" / "OpenLoop"
OPENLOOP_OUT = REPO / "artifacts" / "bench-tools" / "openloop"

# No build server, MSBuild node or compiler server outlives a build that bench/run starts.
BUILD_ENV = {**os.environ, "MSBUILDDISABLENODEREUSE": "1", "DOTNET_CLI_USE_MSBUILD_SERVER": "0",
             "UseSharedCompilation": "false", "DOTNET_CLI_TELEMETRY_OPTOUT": "1", "DOTNET_NOLOGO": "1"}


def make_build(checkout: Path) -> None:
    out = subprocess.run(["make", "build"], cwd=checkout, env=BUILD_ENV, capture_output=True, text=True, timeout=1800)
    if out.returncode != 0:
        raise SystemExit(f"`make build` in {checkout} failed:\n{out.stdout[-3000:]}{out.stderr[-3000:]}")


def openloop() -> list[str]:
    """The command that runs the open-loop generator, built first when missing or older than its sources."""
    dll = OPENLOOP_OUT / "openloop.dll"
    sources = [p for p in OPENLOOP_PROJECT.iterdir() if p.suffix in (".cs", ".csproj")]
    if not dll.exists() or max(p.stat().st_mtime for p in sources) > dll.stat().st_mtime:
        print("building bench/tools/OpenLoop: dotnet build", flush=True)
        out = subprocess.run(["dotnet", "build", str(OPENLOOP_PROJECT / "OpenLoop.csproj"), "-c", "Release", "-o",
                              str(OPENLOOP_OUT), "--nologo", "-v", "quiet"], env=BUILD_ENV, capture_output=True,
                             text=True, timeout=600)
        if out.returncode != 0:
            raise SystemExit(f"building bench/tools/OpenLoop failed:\n{out.stdout[-3000:]}{out.stderr[-3000:]}")
        dll.touch()  # an up-to-date build may leave the old timestamp
    return ["dotnet", str(dll)]
