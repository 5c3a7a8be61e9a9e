"""core.names.counted: a count with its noun in the right number."""
from __future__ import annotations

import pytest

from pytest_pyglet_media.core.names import counted


@pytest.mark.parametrize("n, expected", [(0, "0 samples"), (1, "1 sample"), (2, "2 samples")])
def test_counted_says_one_in_the_singular(n, expected):
    assert counted(n, "sample") == expected


def test_counted_takes_an_irregular_plural():
    assert counted(1, "crash retry", "crash retries") == "1 crash retry"
    assert counted(3, "crash retry", "crash retries") == "3 crash retries"
