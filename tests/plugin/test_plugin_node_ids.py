"""Node ids as pytest writes them, pasteable back, for a samples folder
outside the rootdir; names pytest cannot take back are refused up front."""
from __future__ import annotations

import re
import uuid

import pytest

from pytest_pyglet_media.core.names import sample_name_problem


def test_a_folder_outside_the_rootdir_gives_ids_that_paste_back(mp):
    outside = mp.pytester.path.parent / f"outside-{uuid.uuid4().hex[:8]}"
    outside.mkdir()
    for name in ("perfect_a.mp4", "defects_b.mp4"):
        (outside / name).write_bytes(b"not really media\n")
    folder = f"../{outside.name}"
    run = mp.run("-v", "--tb=line", "--mp-include=*.mp4", samples_dir=folder)
    ids = re.findall(r"^(\S+::play) (?:PASSED|FAILED)", run.out, re.M)
    assert sorted(ids) == [f"{folder}/defects_b.mp4::play", f"{folder}/perfect_a.mp4::play"]
    # --tb=line names the same path
    assert f"{folder}/defects_b.mp4:1: defects_b.mp4: 4 defects" in run.out
    # the id as shown runs that item again, and deselects it
    again = mp.run("-v", f"{folder}/defects_b.mp4::play", "--mp-session=again",
                   samples_dir=folder)
    assert re.findall(r"^(\S+::play) FAILED", again.out, re.M) == \
        [f"{folder}/defects_b.mp4::play"], again.out
    deselected = mp.run("-v", f"--deselect={folder}/defects_b.mp4::play",
                        "--mp-session=again", samples_dir=folder)
    assert deselected.outcomes() == {"passed": 1, "deselected": 1}, deselected.out


@pytest.mark.parametrize("name", ["a::b.mp4", "clip.mp4::play"])
def test_a_name_with_a_node_id_separator_is_refused_up_front(name):
    assert "'::'" in sample_name_problem(name)
