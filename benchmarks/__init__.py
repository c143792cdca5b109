"""Benchmarks: carestats timed against bare pandas and openpyxl baselines (`make bench`)."""
