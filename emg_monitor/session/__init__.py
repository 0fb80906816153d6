"""Sessions on disk: recorder (streams to disk), reader, exports, report, history."""
from ..paths import sessions_root
from .meta import FORMAT_VERSION, SessionMeta, new_session_folder
from .reader import Session, load_session
from .recorder import Recorder

__all__ = ["FORMAT_VERSION", "Recorder", "Session", "SessionMeta", "load_session",
           "new_session_folder", "sessions_root"]
