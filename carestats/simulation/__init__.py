"""Building blocks of the register simulator; the public API is carestats.simulate."""
