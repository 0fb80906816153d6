"""The PyQt6 + pyqtgraph dashboard: the only package that imports Qt.

The GUI thread only draws: acquisition, DSP and recording run on the source's
thread, the screen copies from the engine's ring buffers on a QTimer, and
reps, errors and disconnects arrive as queued Qt signals (``bridge.py``).
"""
