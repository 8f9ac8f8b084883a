"""Word 97–2003 (.doc) and WPS (.wps) files → text, through a Debian-packaged converter.

antiword is tried first, LibreOffice (``soffice --headless --cat``) when
antiword is missing or refuses the file (docs/decisions.md: antiword read all
five seed reports exactly in milliseconds, catdoc garbled four of them,
LibreOffice read them exactly but takes about two seconds a file). WPS Office
(Kingsoft) ``.wps`` files since WPS 2005 are the same OLE compound binary as a
.doc, so the same converters read them. ``make formats`` installs the
converters; without them a file fails with one line saying so.

antiword draws a table row as ``|cell |cell |``; it becomes the cells
tab-separated, like the other readers' tables.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from pipeline import errors
from pipeline.errors import InputError, short_reason

OLE_MAGIC = bytes.fromhex("d0cf11e0a1b11ae1")
TIMEOUT = 120  # seconds for one file (LibreOffice's first start builds its profile)


def converters() -> list[str]:
    """The converters on this machine, in the order they are tried."""
    found = []
    if shutil.which("antiword"):
        found.append("antiword")
    if shutil.which("soffice") or shutil.which("libreoffice"):
        found.append("soffice")
    return found


def word97_text(data: bytes, suffix: str) -> str:
    """The text of a .doc/.wps file's bytes; ``InputError`` with a one-line reason when it cannot be read."""
    if not data.startswith(OLE_MAGIC):
        raise InputError(errors.E_WORD97_NOT_OLE.format(suffix=suffix))
    tools = converters()
    if not tools:
        raise InputError(errors.E_WORD97_NO_CONVERTER.format(suffix=suffix))
    problem = ""
    with tempfile.TemporaryDirectory(prefix="fazhi-word97-") as work:
        src = Path(work) / f"input{suffix}"
        src.write_bytes(data)
        for tool in tools:
            try:
                text = _antiword(src) if tool == "antiword" else _soffice(src, Path(work))
            except subprocess.TimeoutExpired:
                problem = errors.E_WORD97_TIMEOUT.format(tool=tool, suffix=suffix, seconds=TIMEOUT)
                continue
            except _ConverterRefused as err:
                problem = errors.E_WORD97.format(suffix=suffix, err=f"{tool}: {err}")
                continue
            if text.strip():
                return text
            problem = errors.E_WORD97.format(suffix=suffix, err=f"{tool} found no text")
    raise InputError(problem)


class _ConverterRefused(Exception):
    pass


def _run(cmd: list[str], **kw) -> str:
    res = subprocess.run(cmd, capture_output=True, timeout=TIMEOUT, **kw)
    if res.returncode != 0:
        err = " ".join(res.stderr.decode("utf-8", "replace").split()) or f"exit status {res.returncode}"
        raise _ConverterRefused(err[:160])
    return res.stdout.decode("utf-8", "replace")


def _antiword(src: Path) -> str:
    out = _run(["antiword", "-m", "UTF-8.txt", "-w", "0", str(src)])
    return "\n".join(_antiword_line(l) for l in out.splitlines() if l.strip() != "[pic]").strip("\n")


def _antiword_line(line: str) -> str:
    stripped = line.strip()
    if len(stripped) > 1 and stripped.startswith("|") and stripped.endswith("|"):
        return "\t".join(cell.strip() for cell in stripped[1:-1].split("|"))
    return line.rstrip()


def _soffice(src: Path, work: Path) -> str:
    exe = shutil.which("soffice") or shutil.which("libreoffice")
    profile = (work / "lo-profile").as_uri()  # a private profile: runs in parallel never share one
    env = {**os.environ, "HOME": str(work)}
    out = _run([exe, f"-env:UserInstallation={profile}", "--headless", "--norestore", "--cat", str(src)], env=env)
    return out.lstrip("\ufeff").strip("\n")
