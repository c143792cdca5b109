"""The simulator and the demo tools: synthetic register extracts that behave like the real ones.

They stand beside the product: they may use it (its lake, its CSV writer, its flows) but nothing in
carestats, tasks or flows imports them. `carestats simulate` writes extracts for the demo, the tests
and the benchmarks; `python -m simulation.blocked_demo` shows a quality gate stopping a publication.
"""
