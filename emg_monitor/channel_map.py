"""Which channel of someone else's amplifier is which muscle: labels -> roles.

A lab's LSL stream or XDF recording names its channels ("EMG1", "GluteL",
"L_ES", ...). The analysis needs roles: left/right glute, left/right lumbar
erector and optionally a motion channel. Roles are guessed from the labels and
can be set with ``--map LABEL=ROLE`` (saved in the athlete's profile), so a lab
maps its cap once. One home for the LSL source and XDF files, which describe
channels the same way (``desc/channels/channel/{label,unit,type}``).

Units are converted at this edge: raw EMG to µV, accelerations to g, angles in
deg, whatever the stream declares ("microvolts", "mV", "V", "m/s^2", ...).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from .errors import UserError
from .model import EMG_PIN_ROLES, Channel, DeviceInfo, Kind

EMG_ROLES = tuple(name for name, _, _ in EMG_PIN_ROLES)   # left_glute, left_erector, ...
MOTION_ROLES = ("angle", "accel_x", "accel_y")
IGNORE = "ignore"
ROLES = (*EMG_ROLES, *MOTION_ROLES, IGNORE)

_EMG_UNITS = {"uv": 1.0, "µv": 1.0, "μv": 1.0, "microvolt": 1.0, "microvolts": 1.0,
              "mv": 1e3, "millivolt": 1e3, "millivolts": 1e3, "v": 1e6, "volt": 1e6,
              "volts": 1e6, "nv": 1e-3, "nanovolts": 1e-3}
_ACCEL_UNITS = {"g": 1.0, "m/s^2": 1 / 9.80665, "m/s2": 1 / 9.80665, "m/s/s": 1 / 9.80665}
_ANGLE_UNITS = {"deg": 1.0, "degree": 1.0, "degrees": 1.0, "rad": 180 / np.pi, "radian": 180 / np.pi,
                "radians": 180 / np.pi}

_GLUTE_WORDS = ("glut", "gmax")
_ERECTOR_WORDS = ("erector", "spinae", "lumbar", "paraspin", "longissim", "iliocost", "multifid")
_LEFT, _RIGHT = {"l", "lt", "left", "li"}, {"r", "rt", "right", "re"}


def _tokens(label: str) -> list[str]:
    """"GluteL" -> [glute, l], "L_ES" -> [l, es], "GMax_R" -> [g, max, r]."""
    return [t.lower() for t in re.findall(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+", label)]


def _muscle_and_side(label: str) -> tuple[str | None, set[str]]:
    low = re.sub(r"[^a-z]", "", label.lower())
    tokens = _tokens(label)
    muscle, sides = None, set()
    if any(w in low for w in _GLUTE_WORDS) or "gm" in tokens:
        muscle = "glute"
    elif any(w in low for w in _ERECTOR_WORDS) or {"es", "les", "res"} & set(tokens):
        muscle = "erector"
    for t in tokens:
        if t in _LEFT or t == "les" or (t.startswith("l") and t[1:].startswith(_GLUTE_WORDS)):
            sides.add("left")
        if t in _RIGHT or t == "res" or (t.startswith("r") and t[1:].startswith(_GLUTE_WORDS)):
            sides.add("right")
    sides |= {s for s in ("left", "right") if s in low}
    return muscle, sides


@dataclass(frozen=True)
class StreamChannel:
    """A channel as the stream describes it."""

    label: str
    unit: str = ""
    type: str = ""


def guess_role(ch: StreamChannel) -> str | None:
    """A role from the label alone, or None: "L_Glute" -> left_glute, "ES_R" -> right_erector,
    "accX" -> accel_x. Ambiguous labels ("EMG1") get None and need ``--map``."""
    muscle, sides = _muscle_and_side(ch.label)
    if muscle is not None:
        return f"{sides.pop()}_{muscle}" if len(sides) == 1 else None
    low = ch.label.strip().lower()
    if re.search(r"incl|angle|pitch|tilt", low) or ch.unit.strip().lower() in _ANGLE_UNITS:
        return "angle"
    m = re.search(r"acc(el(erometer)?)?[\s_-]*([xy])$", low)
    return f"accel_{m.group(3)}" if m else None


def parse_map(items: list[str] | None) -> dict[str, str]:
    """``["EMG1=left_glute", ...]`` -> {label: role}; a bad item is a UserError."""
    out: dict[str, str] = {}
    for item in items or []:
        label, sep, role = item.rpartition("=")
        role = role.strip().lower()
        if not sep or not label.strip():
            raise UserError(f"--map {item!r}: write LABEL=ROLE, e.g. EMG1=left_glute")
        if role not in ROLES:
            raise UserError(f"--map {item!r}: unknown role {role!r}; roles: {', '.join(ROLES)}")
        out[label.strip()] = role
    return out


@dataclass(frozen=True)
class ChannelMap:
    """Stream columns -> our channels, with the unit conversion of each column."""

    columns: tuple[int, ...]             # stream channel index of each output channel
    channels: tuple[Channel, ...]
    scale: tuple[float, ...]             # stream unit -> our unit
    roles: dict[str, str]                # stream label -> role, as used (saved in the profile)

    def apply(self, samples: np.ndarray) -> np.ndarray:
        """(n, n_stream) in the stream's units -> (n, n_channels) float64 in ours."""
        x = np.asarray(samples, dtype=np.float64)
        return x[:, list(self.columns)] * np.asarray(self.scale)

    def info(self, sample_rate_hz: float, device: str) -> DeviceInfo:
        return DeviceInfo(sample_rate_hz=float(sample_rate_hz), channels=self.channels,
                          device=device)

    def describe(self) -> str:
        return ", ".join(f"{label}->{role}" for label, role in self.roles.items()
                         if role != IGNORE)


def _labels(channels: list[StreamChannel]) -> str:
    return ", ".join(repr(c.label) for c in channels) or "none"


def _example(channels: list[StreamChannel]) -> str:
    label = channels[0].label if channels else ""
    return label if label.isprintable() and " " not in label and label else "LABEL"


def build_map(channels: list[StreamChannel], overrides: dict[str, str] | None = None,
              stream: str = "the stream") -> ChannelMap:
    """Roles from ``overrides`` (label -> role, labels matched case-insensitively), else
    guessed from the labels. UserError for an unknown label, a role given twice, or no
    glute/erector channel at all."""
    overrides = dict(overrides or {})
    by_label: dict[str, int] = {}
    for i, c in enumerate(channels):
        by_label.setdefault(c.label.lower(), i)
    chosen: dict[int, str] = {}
    for label, role in overrides.items():
        found = by_label.get(label.lower())
        if found is None:
            if label.isdigit() and 1 <= int(label) <= len(channels):
                found = int(label) - 1                  # a 1-based channel number
            else:
                raise UserError(f"--map {label!r}: {stream} has no channel labelled "
                                f"{label!r} (labels: {_labels(channels)})")
        chosen[found] = role
    for i, c in enumerate(channels):
        if i not in chosen:
            guess = guess_role(c)
            if guess is not None and guess not in chosen.values():
                chosen[i] = guess
    seen: dict[str, int] = {}
    for i, role in sorted(chosen.items()):
        if role == IGNORE:
            continue
        if role in seen:
            raise UserError(f"{stream}: {role} is mapped to both {channels[seen[role]].label!r} "
                            f"and {channels[i].label!r}; map one with --map LABEL=ignore")
        seen[role] = i
    if not any(r in seen for r in EMG_ROLES):
        raise UserError(f"{stream} has no channel mapped to a glute or an erector (labels: "
                        f"{_labels(channels)}); map them, e.g. --map "
                        f"{_example(channels)}=left_glute")
    pin = {name: (muscle, side) for name, muscle, side in EMG_PIN_ROLES}
    cols, out, scale = [], [], []
    for role in (*EMG_ROLES, *MOTION_ROLES):        # our order: EMG pins, then motion
        if role not in seen:
            continue
        i = seen[role]
        unit = channels[i].unit.strip()
        if role in EMG_ROLES:
            factor = _EMG_UNITS.get(unit.lower(), 1.0 if not unit else None)
            muscle, side = pin[role]
            ch = Channel(role, Kind.RAW_EMG, "uV", muscle, side)
        elif role == "angle":
            factor = _ANGLE_UNITS.get(unit.lower(), 1.0 if not unit else None)
            ch = Channel("inclination", Kind.MOTION, "deg")
        else:
            factor = _ACCEL_UNITS.get(unit.lower(), 1.0 if not unit else None)
            ch = Channel(role, Kind.MOTION, "g")
        if factor is None:
            raise UserError(f"{stream}: channel {channels[i].label!r} is in {unit!r}, which "
                            f"cannot be read as the unit of a {role} channel")
        cols.append(i)
        out.append(ch)
        scale.append(float(factor))
    roles = {channels[i].label: role for i, role in sorted(chosen.items())}
    return ChannelMap(tuple(cols), tuple(out), tuple(scale), roles)


def channels_from_desc(desc, n_channels: int) -> list[StreamChannel]:
    """StreamChannels from an XDF/LSL description parsed into pyxdf's nested form
    (``{"channels": [{"channel": [{"label": ["x"], "unit": ["uV"]}, ...]}]}``); channels
    without a description are labelled by number ("1", "2", ...)."""
    def first(d, key):
        v = d.get(key) if isinstance(d, dict) else None
        if isinstance(v, list):
            v = v[0] if v else None
        return v if v is not None else ""

    items: list = []
    try:
        chans = first(desc, "channels")
        items = chans.get("channel", []) if isinstance(chans, dict) else []
    except AttributeError:
        items = []
    out = []
    for k in range(n_channels):
        d = items[k] if k < len(items) and isinstance(items[k], dict) else {}
        out.append(StreamChannel(str(first(d, "label") or k + 1), str(first(d, "unit")),
                                 str(first(d, "type"))))
    return out


def _element_dict(elem):
    """An XML element in pyxdf's nested form: {child tag: [child forms]} or its text."""
    children = list(elem)
    if not children:
        return elem.text
    out: dict[str, list] = {}
    for c in children:
        out.setdefault(c.tag, []).append(_element_dict(c))
    return out


def channels_from_xml(xml: str, n_channels: int) -> list[StreamChannel]:
    """StreamChannels from a stream's full XML description (LSL ``StreamInfo.as_xml()``)."""
    import xml.etree.ElementTree as ET
    try:
        desc = ET.fromstring(xml).find("desc")
    except ET.ParseError:
        desc = None
    return channels_from_desc(_element_dict(desc) if desc is not None else None, n_channels)
