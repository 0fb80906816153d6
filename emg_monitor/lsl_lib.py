"""pylsl, imported once with liblsl's start-up chatter turned down.

liblsl logs INFO lines ("Loaded default config", its git hash) to stderr when it
loads; a command's error must stay one line, so unless the user points
``LSLAPICFG`` at their own configuration, ours keeps only liblsl's errors.
"""
from __future__ import annotations

import os
from pathlib import Path

from .errors import UserError

_CONFIG = Path(__file__).with_name("lsl_api.cfg")


def pylsl():
    os.environ.setdefault("LSLAPICFG", str(_CONFIG))
    try:
        import pylsl as lib
    except (ImportError, RuntimeError, OSError) as exc:   # also: the bundled liblsl cannot load
        raise UserError(f"Lab Streaming Layer needs pylsl with its liblsl "
                        f"(pip install 'emg-monitor[lsl]'): {exc}") from exc
    return lib


def errors(lib) -> tuple[type[BaseException], type[BaseException]]:
    """(LostError, TimeoutError) of pylsl (in ``pylsl.util`` since 1.17, the version required)."""
    import importlib
    util = importlib.import_module(f"{lib.__name__}.util")
    return util.LostError, util.TimeoutError
