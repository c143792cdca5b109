"""The `carestats` command line: the top of the house, calling the flows; nothing imports it."""
