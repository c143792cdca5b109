"""`python -m cli`: the same command as the `carestats` script."""

from cli.main import run

run()
