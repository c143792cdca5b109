"""The register extract: find the one an edition is built from, read it, type it and check it."""
