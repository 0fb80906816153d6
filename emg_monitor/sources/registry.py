"""Sources named like pyserial's URL handlers: ``SCHEME://TARGET?param=value&...``.

    serial:///dev/ttyACM0   serial://COM3   serial://auto
    sim://?exercise=squat&seed=3
    replay://PATH?speed=2
    lsl://NAME   lsl://?type=EMG
    brainflow://BOARD?serial_port=/dev/ttyUSB0

A scheme maps to a factory (python-can's interface name -> bus class map). A
source module registers its own scheme with :func:`register`, and every module
of this package is imported once, on the first lookup, so adding a kind of
source is one new file. Factories take the parsed :class:`SourceSpec` and the
command's :class:`SourceContext` and must refuse every parameter they do not
know: a typo is one line and exit 2, never silently ignored.
"""
from __future__ import annotations

import argparse
import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from urllib.parse import parse_qsl, unquote, urlsplit

from ..errors import UserError
from ..model import DeviceConfig, Kind
from .base import Source

Factory = Callable[["SourceSpec", "SourceContext"], Source]
_REGISTRY: dict[str, tuple[Factory, str]] = {}
_discovered = False


@dataclass(frozen=True)
class SourceContext:
    """What the command knows that a source may need (each source takes what applies)."""

    realtime: bool = True
    speed: float = 1.0                     # simulator / replay speed-up
    duration_s: float | None = None        # simulator: stream time to produce, then END
    athlete: str = ""                      # whose profile holds channel maps
    home: str | None = None                # profiles under <home>/profiles
    channel_map: dict[str, str] = field(default_factory=dict)   # --map LABEL=ROLE
    sim: dict = field(default_factory=dict)                     # AthleteConfig defaults
    device_config: DeviceConfig = DeviceConfig()
    hello_timeout_s: float = 3.0
    resolve_timeout_s: float = 3.0         # LSL: how long to look for the stream


@dataclass
class SourceSpec:
    """A parsed source URL. Factories :meth:`take` their parameters, then :meth:`done`."""

    text: str
    scheme: str
    target: str                           # host + path, percent-decoded ("" when absent)
    params: dict[str, str]

    def take(self, name: str, convert: Callable = str, default=None):
        if name not in self.params:
            return default
        raw = self.params.pop(name)
        try:
            return convert(raw)
        except (ValueError, TypeError, argparse.ArgumentTypeError) as exc:
            raise UserError(f"{self.scheme}:// {name}={raw!r}: {exc}") from None

    def done(self, known: tuple[str, ...]) -> None:
        if self.params:
            bad = ", ".join(sorted(self.params))
            raise UserError(f"{self.scheme}:// has no parameter {bad} (known: "
                            f"{', '.join(known) or 'none'})")


def flag(text: str) -> bool:
    low = text.strip().lower()
    if low in ("1", "true", "yes", "on", ""):
        return True
    if low in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"{text!r} is not yes/no")


def register(scheme: str, summary: str = "") -> Callable:
    """Decorator: a Source class with ``from_spec(spec, ctx)``, or a factory function."""
    def deco(obj):
        factory = getattr(obj, "from_spec", obj)
        _REGISTRY[scheme.lower()] = (factory, summary)
        return obj
    return deco


def _discover() -> None:
    global _discovered
    if _discovered:
        return
    _discovered = True
    from .. import sources
    for mod in pkgutil.iter_modules(sources.__path__):
        importlib.import_module(f"{sources.__name__}.{mod.name}")


def schemes() -> dict[str, str]:
    """scheme -> one-line summary, for help texts and error messages."""
    _discover()
    return {k: s for k, (_, s) in sorted(_REGISTRY.items())}


def parse_spec(text: str) -> SourceSpec:
    text = str(text).strip()
    if "://" not in text:
        raise UserError(f"source {text!r} is not a source URL: write SCHEME://..., e.g. "
                        "sim://, serial://auto, replay://SESSION, lsl://NAME")
    parts = urlsplit(text, allow_fragments=False)
    scheme = parts.scheme.lower()
    try:
        pairs = parse_qsl(parts.query, keep_blank_values=True, strict_parsing=bool(parts.query))
    except ValueError:
        raise UserError(f"source {text!r}: parameters are name=value joined by &") from None
    params: dict[str, str] = {}
    for k, v in pairs:
        if k in params:
            raise UserError(f"source {text!r}: {k} is given twice")
        params[k] = v
    return SourceSpec(text, scheme, unquote(parts.netloc + parts.path), params)


def make_source(text: str, ctx: SourceContext = SourceContext()) -> Source:
    """The (unopened) source a URL names; UserError for an unknown scheme or bad parameter."""
    spec = parse_spec(text)
    _discover()
    entry = _REGISTRY.get(spec.scheme)
    if entry is None:
        raise UserError(f"unknown source {spec.scheme or text!r}://; known: "
                        + ", ".join(f"{k}://" for k in schemes()))
    return entry[0](spec, ctx)


def shortcut_spec(port: str | None = None, simulate: bool = False, replay: str | None = None
                  ) -> str | None:
    """``--port`` / ``--simulate`` / ``--replay`` as the URL they stand for."""
    if replay is not None:
        return f"replay://{replay}"
    if simulate:
        return "sim://"
    if port is not None:
        return f"serial://{port or 'auto'}"
    return None


# --- the board, the simulated athlete and replays --------------------------------------
SERIAL_PARAMS = ("rate", "envelope", "hello_timeout")
SIM_PARAMS = ("exercise", "seed", "sets", "reps", "lumbar", "rest", "speed", "calibration",
              "envelope", "rate", "mains", "ecg", "wears", "swap")


def _segments(text: str) -> tuple[str, ...]:
    """``wears=pelvis,thorax``: the IMUs the simulated athlete has strapped on."""
    from ..sim.segments import SEGMENTS
    names = tuple(s.strip() for s in text.split(",") if s.strip())
    bad = [s for s in names if s not in SEGMENTS]
    if bad:
        raise ValueError(f"no IMU {', '.join(bad)} (have: {', '.join(SEGMENTS)})")
    return names


def _no_map(spec: SourceSpec, ctx: SourceContext) -> None:
    """Our board's channels have fixed roles: a --map would be silently ignored, so refuse it."""
    if ctx.channel_map:
        raise UserError(f"--map is for lab streams (lsl://, brainflow://); {spec.scheme}:// "
                        "channels already have their roles")


def _device_config(spec: SourceSpec, ctx: SourceContext) -> DeviceConfig:
    from ..commands import options
    rate = spec.take("rate", options.Number("board rate", 500, 2000, integer=True, unit="Hz"))
    if rate is not None and rate not in (500, 1000, 2000):
        raise UserError(f"{spec.scheme}:// rate={rate}: the board runs at 500, 1000 or 2000 Hz")
    envelope = spec.take("envelope", flag)
    cfg = ctx.device_config
    if rate is not None:
        cfg = replace(cfg, sample_rate_hz=int(rate))
    if envelope is not None:
        cfg = replace(cfg, emg_kind=Kind.ENVELOPE if envelope else Kind.RAW_EMG)
    return cfg


@register("serial", "the emg-monitor board: serial:///dev/ttyACM0, serial://COM3, serial://auto")
def serial_from_spec(spec: SourceSpec, ctx: SourceContext) -> Source:
    _no_map(spec, ctx)
    from ..commands import options
    from .serial_source import SerialSource
    cfg = _device_config(spec, ctx)
    timeout = spec.take("hello_timeout", options.TIMEOUT_S, ctx.hello_timeout_s)
    spec.done(SERIAL_PARAMS)
    port = spec.target
    return SerialSource(None if port in ("", "auto") else port, cfg, hello_timeout_s=timeout)


@register("sim", "the simulated athlete: sim://?exercise=squat&seed=3")
def sim_from_spec(spec: SourceSpec, ctx: SourceContext) -> Source:
    _no_map(spec, ctx)
    from ..commands import options
    from ..sim.athlete import AthleteConfig, Contamination
    from ..sim.segments import ImuConfig
    from .simulated import SimulatedSource
    if spec.target:
        raise UserError(f"sim:// takes no name ({spec.target!r}); parameters go after ?, "
                        "e.g. sim://?exercise=squat&seed=3")
    kw = dict(ctx.sim)
    for name, key, conv in (("exercise", "exercise", options.exercise),
                            ("seed", "seed", options.SEED), ("sets", "sets", options.SETS),
                            ("reps", "reps_per_set", options.REPS),
                            ("lumbar", "lumbar_pattern", options.PROBABILITY),
                            ("rest", "rest_between_sets_s", options.REST_S),
                            ("calibration", "calibration", flag)):
        value = spec.take(name, conv)
        if value is not None:
            kw[key] = value
    speed = spec.take("speed", options.SPEED, ctx.speed)
    mains = spec.take("mains", options.Number("mains frequency", 0, 60, integer=True, unit="Hz"))
    ecg = spec.take("ecg", flag)
    if mains is not None and mains not in (0, 50, 60):
        raise UserError(f"sim:// mains={mains}: 0, 50 or 60 Hz")
    if mains or ecg:
        kw["contamination"] = replace(kw.get("contamination", Contamination()),
                                      **({"mains_hz": mains} if mains is not None else {}),
                                      **({"ecg": ecg} if ecg is not None else {}))
    # the athlete's IMUs: one the board asks for but the athlete does not wear does not
    # answer; swap: the pelvis and thigh plugs swapped (docs/hip.md, "bad input")
    wears, swap = spec.take("wears", _segments), spec.take("swap", flag)
    if wears is not None or swap is not None:
        imu = kw.get("imu", ImuConfig())
        kw["imu"] = replace(imu, **({"segments": wears} if wears is not None else {}),
                            **({"swap_pelvis_thigh": swap} if swap is not None else {}))
    cfg_device = _device_config(spec, ctx)
    spec.done(SIM_PARAMS)
    if cfg_device.emg_kind == Kind.ENVELOPE:
        kw["envelope_output"] = True
    try:
        cfg = AthleteConfig(**kw)
    except (TypeError, ValueError) as exc:
        raise UserError(f"sim://: {exc}") from None
    return SimulatedSource(cfg, cfg_device, realtime=ctx.realtime, speed=speed,
                           duration_s=ctx.duration_s)


@register("replay", "a recorded session folder or CSV: replay://PATH?speed=2")
def replay_from_spec(spec: SourceSpec, ctx: SourceContext) -> Source:
    _no_map(spec, ctx)
    from ..commands import options
    from .replay import ReplaySource
    speed = spec.take("speed", options.SPEED, ctx.speed)
    spec.done(("speed",))
    if not spec.target:
        raise UserError("replay:// needs a path: replay://SESSION_FOLDER or replay://file.csv")
    return ReplaySource(spec.target, speed=speed if ctx.realtime else None)
