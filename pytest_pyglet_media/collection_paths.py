"""Which paths a run collects, when the samples folder comes from an option or the ini.

Path arguments given by the user are kept as they are; the ini setting adds
the samples to what pytest collects anyway (testpaths, else the invocation
folder), never replaces it; `--mp-samples-dir` on the command line with no
path arguments collects only the samples, as the README documents.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from .options import Settings


def arg_path(config: pytest.Config, arg: str) -> Path:
    """The file or folder of a path argument or node id (`a/b.py::test`)."""
    return (config.invocation_params.dir / arg.split("::", 1)[0]).resolve()


def samples_wanted(config: pytest.Config, settings: Settings) -> bool:
    """Whether this run may collect samples.

    Path arguments given by the user are kept as they are: the samples are
    collected only when one of them is the samples folder, inside it or
    above it (`pytest tests` with the ini setting plays nothing, creates
    no session and prints no media section).
    """
    if config.args_source != pytest.Config.ArgsSource.ARGS:
        return True
    samples = (config.invocation_params.dir / settings.samples_dir).resolve()
    for arg in config.args:
        path = arg_path(config, arg)
        if path == samples or samples in path.parents or path in samples.parents:
            return True
    return False


def default_args(config: pytest.Config, samples_dir: Path) -> list[str]:
    """What a run without path arguments collects.

    --mp-samples-dir on the command line: only the samples (as documented).
    The ini setting adds the samples to what pytest collects anyway
    (testpaths, else the invocation folder), never replaces it.
    """
    if config.option.mp_samples_dir is not None:
        return [str(samples_dir)]
    samples = samples_dir.resolve()
    paths = [arg_path(config, arg) for arg in config.args]
    if any(p == samples or p in samples.parents for p in paths):
        return list(config.args)
    return [*config.args, str(samples_dir)]
