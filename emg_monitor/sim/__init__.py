"""Simulation: the athlete model, the firmware emulator and the pty board."""
