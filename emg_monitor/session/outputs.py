"""The one guard every command that writes a file goes through: never overwrite an input.

``analyze x.csv --out x.csv`` or ``report SESSION --out SESSION/session.json``
would destroy the recording the command was reading. Before anything is
written, :func:`check_output` resolves the target the way the operating system
will (symlinks followed, hard links and bind mounts compared by inode) and
refuses, with one line, a target that

* is one of the inputs, or the same file under another name;
* lies inside a session folder, except the derived files a session may hold
  (``export/``, ``report.html`` and ``report.pdf``, safe to delete);
* is an existing file with other hard links (writing would change them too),
  or exists and is not a regular file (a device, a FIFO, a folder).

:func:`check_new_session_folder` is the same guard for a folder a recorder is
about to fill: it must be new or empty and not inside another session, so two
sessions never mix.
"""
from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Iterable

from ..errors import UserError
from .meta import EVENTS_FILE, REPS_FILE, SAMPLES_FILE, SESSION_FILE

#: what a session folder may hold besides its recording: derived, safe-to-delete outputs
DERIVED = ("export", "report.html", "report.pdf")
SESSION_FILES = (SESSION_FILE, SAMPLES_FILE, EVENTS_FILE, REPS_FILE)


def _real(path: Path) -> Path:
    return Path(os.path.realpath(os.path.abspath(path)))


def session_folder_of(path: Path | str) -> Path | None:
    """The session folder holding ``path`` (the nearest parent with a session.json), if any."""
    real = _real(Path(path))
    for parent in real.parents:
        if (parent / SESSION_FILE).is_file():
            return parent
    return None


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def check_output(out: Path | str, inputs: Iterable[Path | str] = (), *,
                 option: str = "--out") -> Path:
    """``out`` if writing it cannot destroy an input or a recording; UserError otherwise."""
    out = Path(out)
    real = _real(out)
    for given in inputs:
        inp = Path(given)
        inp_real = _real(inp)
        if real == inp_real or _same_file(out, inp):
            raise UserError(f"{option} {out} is the input {inp}: choose another file "
                            "(the recording would be overwritten)")
        if inp_real.is_dir():
            for name in SESSION_FILES:
                if _same_file(out, inp_real / name):
                    raise UserError(f"{option} {out} is the session's {name}: choose a file "
                                    "outside the session folder")
    session = session_folder_of(real)
    if session is not None:
        rel = real.relative_to(session).parts
        derived = (rel[0] == "export" and len(rel) > 1) or rel in (("report.html",), ("report.pdf",))
        if not derived:
            raise UserError(f"{option} {out} is inside the session {session}: write outside "
                            "it (or into its export/ folder)")
    try:
        st = os.stat(real)
    except FileNotFoundError:
        return out
    except OSError as exc:
        raise UserError(f"cannot write {out}: {exc.strerror or exc}") from exc
    if not stat.S_ISREG(st.st_mode):
        raise UserError(f"{option} {out} exists and is not a regular file: choose a file name")
    if st.st_nlink > 1:
        raise UserError(f"{option} {out} is hard-linked to another file that writing would "
                        "change too: choose another file name")
    return out


def check_new_session_folder(folder: Path | str) -> Path:
    """A folder a recorder may fill: new or empty, not a file, not inside another session."""
    folder = Path(folder)
    real = _real(folder)
    outer = session_folder_of(real)
    if outer is not None:
        raise UserError(f"{folder} is inside the session {outer}: record into a folder of "
                        "its own")
    if real.exists():
        if not real.is_dir():
            raise UserError(f"{folder} exists and is not a folder: choose a new folder")
        if (real / SESSION_FILE).exists() or any(real.iterdir()):
            raise UserError(f"{folder} already holds "
                            f"{'a session' if (real / SESSION_FILE).exists() else 'files'}: "
                            "choose a new or empty folder (sessions are never appended to)")
    return folder
