"""Run any expectation suite on a frame, report what it found, and gate a run on it."""
