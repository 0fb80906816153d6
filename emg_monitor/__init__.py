"""emg-monitor: surface-EMG biofeedback for lockout, rep by rep."""

__version__ = "0.1.0"
