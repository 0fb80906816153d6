"""Data sources: serial board, simulated athlete, replay. All present :class:`Source`."""

from .base import Listener, Source, SourceError

__all__ = ["Listener", "Source", "SourceError"]
