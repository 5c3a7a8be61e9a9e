"""CliResult: what one `pyglet-mp` command gave, run in-process or in a subprocess."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass
class CliResult:
    code: int
    out: str
    err: str

    @property
    def output(self) -> str:
        return self.out + self.err

    def assert_one_line_error(self, *fragments: str) -> None:
        """The documented error shape: one line on stderr, no traceback."""
        assert "Traceback" not in self.output
        lines = self.err.strip().splitlines()
        assert len(lines) == 1, f"expected a one-line error, got:\n{self.err}"
        for fragment in fragments:
            assert fragment in lines[0], f"{fragment!r} not in {lines[0]!r}"

    def one_line_error(self, *fragments: str) -> str:
        """A usage error (exit status 2) in the documented shape; returns its line."""
        assert self.code == 2, (self.code, self.out, self.err)
        assert "Traceback" not in self.out + self.err
        lines = self.err.strip().splitlines()
        assert len(lines) == 1, f"expected a one-line error, got:\n{self.err}"
        for fragment in fragments:
            assert fragment in lines[0], f"{fragment!r} not in {lines[0]!r}"
        return lines[0]

    def printed_path(self) -> Path:
        """The single path the command printed (stdout's last line)."""
        assert self.code == 0, (self.code, self.out, self.err)
        return Path(self.out.strip().splitlines()[-1])


def run_in_process(capsys, *args) -> CliResult:
    """`pyglet-mp ARGS` through cli.main, output captured with capsys."""
    from pytest_pyglet_media.cli import main as cli

    capsys.readouterr()
    code = cli.main([str(a) for a in args])
    out, err = capsys.readouterr()
    return CliResult(code, out, err)
