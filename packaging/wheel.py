#!/usr/bin/python3
"""Builds the wheel that puts the native pyhost executable on a virtualenv's PATH, as ruff and uv ship theirs: the
binary goes in the wheel's .data/scripts/, which pip installs into the environment's bin/ (PEP 427). No Python package
inside: PyHost brings its worker shim embedded in the binary. Python standard library only.

    packaging/wheel.py BINARY OUTPUT_DIR     writes OUTPUT_DIR/pyhost-VERSION-py3-none-manylinux_X_Y_ARCH.whl

The version is what `BINARY --version` prints (set once, in src/PyHost.Cli/PyHost.Cli.csproj). The platform tag is
computed from the binary: manylinux_X_Y (PEP 600) for the newest glibc symbol version it needs, and its ELF machine.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

NAME = "pyhost"
SUMMARY = "PyHost runs Python web applications: web server, WSGI application server and supervisor in one binary"
# ELF e_machine (the System V ABI's values) to the architecture names of PEP 600 tags.
ELF_MACHINES = {0x3E: "x86_64", 0xB7: "aarch64"}
# Zip entries get a fixed date, so the same binary gives the same wheel (reproducible builds); 1980 is zip's epoch.
ZIP_DATE = (1980, 1, 1, 0, 0, 0)


def version_of(binary: Path) -> str:
    out = subprocess.run([str(binary), "--version"], capture_output=True, text=True, check=True, timeout=30)
    version = out.stdout.strip()
    if not re.fullmatch(r"\d+(\.\d+)*([a-z]+\d+)?", version):
        raise SystemExit(f"{binary} --version printed {version!r}, not a PEP 440 version")
    return version


def architecture_of(binary: Path) -> str:
    header = binary.read_bytes()[:20]
    if header[:4] != b"\x7fELF" or header[5] != 1:  # ELF, little-endian
        raise SystemExit(f"{binary} is not a little-endian ELF executable")
    machine = int.from_bytes(header[18:20], "little")
    if machine not in ELF_MACHINES:
        raise SystemExit(f"{binary}: unknown ELF machine {machine:#x}")
    return ELF_MACHINES[machine]


def glibc_needed(binary: Path) -> tuple[int, int]:
    """The newest GLIBC_X.Y among the binary's version references (objdump -p, "Version References")."""
    out = subprocess.run(["objdump", "-p", str(binary)], capture_output=True, text=True, check=True, timeout=60)
    versions = [(int(major), int(minor)) for major, minor in re.findall(r"\bGLIBC_(\d+)\.(\d+)\b", out.stdout)]
    if not versions:
        raise SystemExit(f"{binary} references no GLIBC_ symbol version: is it a static or non-glibc binary?")
    return max(versions)


def platform_tag(binary: Path) -> str:
    major, minor = glibc_needed(binary)
    return f"manylinux_{major}_{minor}_{architecture_of(binary)}"


def record_line(path: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{path},sha256={digest},{len(data)}"


def metadata(version: str) -> str:
    # Core metadata 2.1 (PEP 566); the body is the long description.
    return "\n".join([
        "Metadata-Version: 2.1",
        f"Name: {NAME}",
        f"Version: {version}",
        f"Summary: {SUMMARY}",
        "Classifier: Environment :: Web Environment",
        "Classifier: Operating System :: POSIX :: Linux",
        "Classifier: Programming Language :: Python :: 3",
        "Classifier: Topic :: Internet :: WWW/HTTP :: WSGI :: Server",
        "Description-Content-Type: text/markdown",
        "",
        "The `pyhost` executable, native (no .NET runtime needed). In a virtualenv, "
        "`pyhost serve myproject.wsgi:application -w 4 -b 0.0.0.0:8000` serves the app with that environment's Python.",
        "",
    ])


def wheel_file(tag: str) -> str:
    return "\n".join([
        "Wheel-Version: 1.0",
        "Generator: pyhost packaging/wheel.py",
        "Root-Is-Purelib: false",  # a platform wheel: it holds a native binary
        f"Tag: {tag}",
        "",
    ])


def build(binary: Path, output_dir: Path) -> Path:
    version = version_of(binary)
    tag = f"py3-none-{platform_tag(binary)}"
    data_dir, dist_info = f"{NAME}-{version}.data", f"{NAME}-{version}.dist-info"
    entries: list[tuple[str, bytes, int]] = [
        (f"{data_dir}/scripts/{NAME}", binary.read_bytes(), 0o755),
        (f"{dist_info}/METADATA", metadata(version).encode(), 0o644),
        (f"{dist_info}/WHEEL", wheel_file(tag).encode(), 0o644),
    ]
    record_path = f"{dist_info}/RECORD"
    # RECORD lists every file with its hash, and itself without one (PEP 376, PEP 427).
    record = "\n".join([record_line(path, data) for path, data, _ in entries] + [f"{record_path},,", ""])
    entries.append((record_path, record.encode(), 0o644))

    output_dir.mkdir(parents=True, exist_ok=True)
    wheel = output_dir / f"{NAME}-{version}-{tag}.whl"
    partial = wheel.with_suffix(".whl.partial")
    with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path, data, mode in entries:
            info = zipfile.ZipInfo(path, ZIP_DATE)
            info.external_attr = (0o100000 | mode) << 16  # a regular file with its Unix mode: pip keeps the x bit
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    os.replace(partial, wheel)
    return wheel


def main() -> None:
    if len(sys.argv) != 3:
        raise SystemExit(f"usage: {sys.argv[0]} BINARY OUTPUT_DIR")
    binary, output_dir = Path(sys.argv[1]), Path(sys.argv[2])
    if not binary.is_file():
        raise SystemExit(f"{binary}: no such file; build it first with `make build`")
    print(f"built {build(binary, output_dir)}")


if __name__ == "__main__":
    main()
