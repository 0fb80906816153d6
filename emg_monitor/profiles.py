"""Athlete profiles: a name, the MVC calibrations and the hip neutrals made for that athlete,
one JSON file each.

Stored under ``<data home>/profiles`` (``paths.py``: $EMG_MONITOR_HOME, else the
platform's per-user data folder), so
an athlete calibrates once per electrode placement and every later session
reports %MVC. Files are written atomically (temp file + ``os.replace``): a
crash mid-write leaves the previous profile intact.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
import tempfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from .dsp.calibration import Calibration
from .errors import UserError
from .hip.neutral import HipNeutral
from .paths import profiles_dir

FORMAT_VERSION = 1
#: longest file-name stem; longer names are cut and made unique with a hash of the full name
MAX_STEM = 100


class NoProfile(UserError):
    """No profile exists for this name (yet): recording uncalibrated is the expected path."""


class DamagedProfile(UserError):
    """A profile file exists but cannot be read: recording must not silently ignore it."""


def _file_name(name: str) -> str:
    """A portable file name for any athlete name: letters, digits, ``_.-`` only, and short
    enough for every file system (a 10,000-character name must not make recording fail)."""
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "_", name.strip()).strip("._")
    if not slug:
        raise NoProfile(f"profile name {name[:40]!r} has no usable characters: use letters "
                        "or digits")
    if len(slug) > MAX_STEM:
        digest = hashlib.sha256(name.strip().encode("utf-8", "surrogatepass")).hexdigest()[:12]
        slug = f"{slug[:MAX_STEM - 13]}-{digest}"
    return slug + ".json"


@dataclass(frozen=True)
class AthleteProfile:
    name: str
    calibrations: list[Calibration] = field(default_factory=list)
    #: a lab stream's channel roles, per stream ("lsl:NAME", "brainflow:BOARD"): label -> role
    channel_maps: dict[str, dict[str, str]] = field(default_factory=dict)
    hip_neutrals: list[HipNeutral] = field(default_factory=list)

    def latest_calibration(self) -> Calibration | None:
        """The most recent calibration (ISO timestamps sort chronologically)."""
        if not self.calibrations:
            return None
        return max(self.calibrations, key=lambda c: c.created_iso)

    def with_calibration(self, cal: Calibration) -> "AthleteProfile":
        return dataclasses.replace(self, calibrations=[*self.calibrations, cal])

    def with_channel_map(self, key: str, roles: dict[str, str]) -> "AthleteProfile":
        return dataclasses.replace(self, channel_maps={**self.channel_maps, key: dict(roles)})

    def latest_hip_neutral(self) -> HipNeutral | None:
        """The most recent hip neutral (relaxed stand vs glute squeeze), if any."""
        return max(self.hip_neutrals, key=lambda n: n.created_iso) if self.hip_neutrals else None

    def with_hip_neutral(self, neutral: HipNeutral) -> "AthleteProfile":
        return dataclasses.replace(self, hip_neutrals=[*self.hip_neutrals, neutral])

    def to_dict(self) -> dict:
        return {"format_version": FORMAT_VERSION, "name": self.name,
                "calibrations": [c.to_dict() for c in self.calibrations],
                "channel_maps": {k: dict(v) for k, v in self.channel_maps.items()},
                "hip_neutrals": [n.to_dict() for n in self.hip_neutrals]}

    @classmethod
    def from_dict(cls, d: dict) -> "AthleteProfile":
        if not isinstance(d, dict) or not isinstance(d.get("name"), str):
            raise UserError("profile has no name")
        cals = d.get("calibrations", [])
        if not isinstance(cals, list):
            raise UserError("profile calibrations are not a list")
        maps = d.get("channel_maps", {})
        if not isinstance(maps, dict) or not all(
                isinstance(m, dict) and all(isinstance(k, str) and isinstance(v, str)
                                            for k, v in m.items()) for m in maps.values()):
            raise UserError("profile channel maps are not label -> role tables")
        neutrals = d.get("hip_neutrals", [])
        if not isinstance(neutrals, list):
            raise UserError("profile hip_neutrals are not a list")
        try:
            hip = [HipNeutral.from_dict(n) for n in neutrals]
        except ValueError as exc:
            raise UserError(str(exc)) from exc
        return cls(str(d["name"]), [Calibration.from_dict(c) for c in cals],
                   {str(k): dict(v) for k, v in maps.items()}, hip)


def profile_path(name: str, home: Path | str | None = None) -> Path:
    return profiles_dir(home) / _file_name(name)


def load_profile(name: str, home: Path | str | None = None) -> AthleteProfile:
    """The athlete's profile: NoProfile when there is none, DamagedProfile (never a silent
    fallback) when its file exists but cannot be read or holds an unusable calibration."""
    path = profile_path(name, home)
    if not os.path.lexists(path):
        known = ", ".join(list_profiles(home)) or "none yet"
        raise NoProfile(f"no profile named {name[:40]!r} in {path.parent} (known: {known}); "
                        "calibrate to create it")
    try:
        d = json.loads(path.read_text(encoding="utf-8"))
        return AthleteProfile.from_dict(d)
    except (OSError, ValueError, UnicodeDecodeError, RecursionError, TypeError, KeyError,
            AttributeError, UserError) as exc:
        raise DamagedProfile(f"the profile {path} is damaged ({str(exc)[:80]})") from exc


def profile_problem(name: str, home: Path | str | None = None) -> str | None:
    """Why the athlete's profile cannot be used, or None (fine, or no profile yet)."""
    if not name:
        return None
    try:
        load_profile(name, home)
    except DamagedProfile as exc:
        return f"{exc}: recording UNCALIBRATED; calibrate again to replace it"
    except NoProfile:
        pass
    return None


def set_aside_damaged(name: str, home: Path | str | None = None) -> Path | None:
    """Rename a damaged profile file out of the way (kept for a look), so a new calibration
    can be saved without destroying it."""
    path = profile_path(name, home)
    if not os.path.lexists(path):
        return None
    aside = path.with_name(f"{path.name}.damaged-{datetime.now():%Y%m%d-%H%M%S}")
    os.replace(path, aside)
    return aside


def save_profile(profile: AthleteProfile, home: Path | str | None = None) -> Path:
    path = profile_path(profile.name, home)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(profile.to_dict(), indent=2, sort_keys=True)
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    return path


def list_profiles(home: Path | str | None = None) -> list[str]:
    """Profile names (as stored inside each file; unreadable files are skipped)."""
    d = profiles_dir(home)
    if not d.is_dir():
        return []
    names = []
    for p in sorted(d.glob("*.json")):
        try:
            names.append(str(json.loads(p.read_text(encoding="utf-8"))["name"]))
        except (OSError, ValueError, KeyError, TypeError):
            continue
    return names


def saved_channel_map(athlete: str, key: str, home: Path | str | None = None) -> dict[str, str]:
    """The lab stream's channel roles saved for this athlete ({} without a profile or map)."""
    if not athlete or athlete not in list_profiles(home):
        return {}
    return dict(load_profile(athlete, home).channel_maps.get(key, {}))


def remember_channel_map(athlete: str, key: str, roles: dict[str, str],
                         home: Path | str | None = None) -> Path:
    """Save a stream's channel roles in the athlete's profile (created if new)."""
    profile = load_profile(athlete, home) if athlete in list_profiles(home) else AthleteProfile(athlete)
    return save_profile(profile.with_channel_map(key, roles), home)
