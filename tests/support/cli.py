"""Running the `carestats` command in process, exactly as the console script does, and what it said."""

from __future__ import annotations

from dataclasses import dataclass

from cli.main import main


@dataclass(frozen=True)
class CliResult:
    """What a command printed on each stream, and its exit code."""

    exit_code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        """Both streams, stdout first: what a person at the terminal saw."""
        return self.stdout + self.stderr


def run_carestats(capsys, arguments: list[str]) -> CliResult:
    """Run `carestats ARGUMENTS` through its entry point (exit codes and error handling included)."""
    capsys.readouterr()  # whatever earlier steps of the test printed is not this command's output
    code = main([str(a) for a in arguments])
    out, err = capsys.readouterr()
    return CliResult(code, out, err)
