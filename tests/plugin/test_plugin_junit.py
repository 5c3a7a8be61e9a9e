"""What CI and reports read: --junitxml valid for every junit family, rows
named after their sample, the facts where each family allows them; the
player's output as a captured section; failure text for every --tb style;
pytest-html links."""
from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET

import pytest
from mp_support import junit

#: pytest's junit families; xunit2 is its default
FAMILIES = ["xunit1", "xunit2", "legacy"]


@pytest.mark.parametrize("extra", [(), ("-n", "2")], ids=["serial", "xdist"])
@pytest.mark.parametrize("family", FAMILIES)
def test_junit_valid_for_every_family(mp, family, extra):
    mp.add("perfect_a.mp4", "defects_b.mp4", "segfault_c.mp4")
    xml = mp.pytester.path / "junit.xml"
    run = mp.run(f"--junitxml={xml}", "-o", f"junit_family={family}", "--mp-retries=1",
                 "-W", "error", *extra)
    assert run.outcomes() == {"passed": 1, "failed": 2, "rerun": 1}
    assert "warning" not in run.out.lower()
    junit.validate(xml, family)  # raises on any break of the family's schema
    root = ET.parse(xml).getroot()
    # every row names its sample; Jenkins' split at the classname's last dot keeps it
    rows = {(c.get("classname"), c.get("name")) for c in root.iter("testcase")}
    assert rows == {("samples", "perfect_a.mp4"), ("samples", "defects_b.mp4"),
                    ("samples", "segfault_c.mp4")}
    in_testcases = [p for c in root.iter("testcase") for p in c.iter("property")]
    if family == "xunit2":
        assert in_testcases == []  # the facts are testsuite properties
        suite = {p.get("name") for p in root.find("testsuite").find("properties")}
        assert "mp_verdict[defects_b.mp4]" in suite
    else:
        assert in_testcases
    cases = mp.junit_cases(xml)
    perfect = cases["perfect_a.mp4"]
    assert perfect["mp_verdict"] == "perfect"
    assert perfect["mp_defects"] == "none"
    assert perfect["mp_recording"] == str(run.recording("perfect_a.mp4"))
    defects = cases["defects_b.mp4"]
    assert defects["mp_verdict"] == "defects"
    assert defects["mp_defects"] == "discarded_late=3, scheduling_in_past=1"
    assert defects["mp_recording"] == str(run.recording("defects_b.mp4"))
    crashed = cases["segfault_c.mp4"]
    assert crashed["mp_verdict"] == "crashed"
    assert crashed["mp_attempts"] == "2"
    # the failure element: its message is the message's first line
    failure = next(c for c in root.iter("testcase")
                   if c.get("name") == "defects_b.mp4").find("failure")
    assert failure.get("message") == "defects_b.mp4: 4 defects while playing a 0.48 s source"
    assert "recording: " in failure.text


#: samples.toml's expectations: a defect that happens (XFAIL), one that no
#: longer does (XPASS: a pass), the same with strict = true (a failure)
EXPECTATIONS = ('[samples."defects_b.mp4"]\nexpect = "defect"\nreason = "late frames"\n'
                '[samples."perfect_x.mp4"]\nexpect = "defect"\nreason = "fixed since"\n'
                '[samples."perfect_s.mp4"]\nexpect = "defect"\nreason = "fixed, strict"\n'
                'strict = true\n')

#: pytest-timeout fires on the hanging sample alone (an explicit marker is kept)
HANG_TIMES_OUT = """
import pytest

def pytest_collection_modifyitems(items):
    for item in items:
        if item.path.name.startswith("hang_"):
            item.add_marker(pytest.mark.timeout(1))
"""


def _outcome_elements(case: ET.Element) -> list[tuple[str, str | None, str]]:
    """A row's failure, error and skipped elements: (tag, type, message)."""
    return [(e.tag, e.get("type"), e.get("message", "")) for e in case
            if e.tag in ("failure", "error", "skipped")]


@pytest.mark.parametrize("family", FAMILIES)
def test_junit_valid_for_xfail_timeout_and_a_killed_worker(mp, family):
    """The other paths, one xdist run per family: samples.toml's expectations
    (XFAIL, XPASS, strict XPASS), pytest-timeout firing during a play, and an
    xdist worker killed outright (SIGKILL) while it plays: still valid, one
    row per item, each as pytest writes its outcome."""
    mp.pytester.makeconftest(HANG_TIMES_OUT)
    mp.manifest(EXPECTATIONS)
    samples = ("defects_b.mp4", "perfect_x.mp4", "perfect_s.mp4", "hang_t.mp4", "killer_k.mp4")
    mp.add(*samples)
    xml = mp.pytester.path / "junit.xml"
    # one play at a time per worker: the killer kills the worker running its
    # own item, never one that started it ahead while running another
    run = mp.run(f"--junitxml={xml}", "-o", f"junit_family={family}", "--mp-retries=0",
                 "--mp-timeout=60", "--mp-stall-timeout=60", "--mp-players=1", "-n", "2",
                 "-W", "error", player="reliability")
    assert "INTERNALERROR" not in run.out + run.err
    assert "warning" not in run.out.lower()
    assert run.outcomes() == {"failed": 3, "xfailed": 1, "xpassed": 1}, run.out
    junit.validate(xml, family)  # raises on any break of the family's schema
    root = ET.parse(xml).getroot()
    suite = root.find("testsuite")
    assert {k: suite.get(k) for k in ("tests", "failures", "errors", "skipped")} == \
        {"tests": "5", "failures": "2", "errors": "1", "skipped": "1"}
    rows = {c.get("name"): c for c in root.iter("testcase")}
    assert len(rows) == len(list(root.iter("testcase"))), "a row written twice"
    assert sorted(rows) == sorted(samples)
    assert {c.get("classname") for c in rows.values()} == {"samples"}
    assert _outcome_elements(rows["defects_b.mp4"]) == \
        [("skipped", "pytest.xfail", "defect: late frames")]
    assert _outcome_elements(rows["perfect_x.mp4"]) == []  # XPASS, not strict: a pass
    assert [(tag, message) for tag, _, message in _outcome_elements(rows["perfect_s.mp4"])] == \
        [("failure", "[XPASS(strict)] defect: fixed, strict")]
    ((tag, _, message),) = _outcome_elements(rows["hang_t.mp4"])
    assert tag == "failure"
    assert message.startswith("hang_t.mp4: the player timed out: stopped by pytest-timeout")
    ((tag, _, message),) = _outcome_elements(rows["killer_k.mp4"])
    assert tag == "error"  # xdist's report of the item its worker died running
    assert "crashed while running 'samples/killer_k.mp4::play'" in message
    if family == "xunit2":
        assert [p for c in rows.values() for p in c.iter("property")] == []
    facts = mp.junit_cases(xml)
    assert {s: facts[s].get("mp_verdict") for s in samples[:4]} == {
        "defects_b.mp4": "defects", "perfect_x.mp4": "perfect", "perfect_s.mp4": "perfect",
        "hang_t.mp4": "timeout"}
    assert facts["killer_k.mp4"] == {}  # no verdict: its play died with the worker


def test_junit_prefix_and_node_ids_unchanged(mp):
    mp.add("perfect_a.mp4")
    xml = mp.pytester.path / "junit.xml"
    run = mp.run(f"--junitxml={xml}", "--junit-prefix=media", "-v")
    assert mp.nodeid("perfect_a.mp4") + " PASSED" in run.out
    case = next(ET.parse(xml).getroot().iter("testcase"))
    assert (case.get("classname"), case.get("name")) == ("media.samples", "perfect_a.mp4")


@pytest.mark.parametrize("extra", [(), ("-n", "2")], ids=["serial", "xdist"])
def test_player_output_is_a_captured_section(mp, extra):
    mp.add("noisy_crash_a.mp4", "perfect_b.mp4")
    xml = mp.pytester.path / "junit.xml"
    run = mp.run(f"--junitxml={xml}", "-o", "junit_logging=system-err", "--mp-retries=0",
                 *extra)
    assert run.outcomes() == {"passed": 1, "failed": 1}
    assert "Captured stderr call" in run.out
    assert "[the player's stdout and stderr, last lines]" in run.out
    cases = {c.get("name"): c for c in ET.parse(xml).getroot().iter("testcase")}
    err = cases["noisy_crash_a.mp4"].find("system-err").text
    assert "[the player's stdout and stderr, last lines]" in err
    assert len(err) < 6000  # bounded: the runner keeps the tail only


def _noisy_last() -> str:
    from doubles import _common
    return _common.NOISY_LAST


def test_player_output_ends_with_what_it_wrote_last(mp):
    mp.add("noisy_crash_a.mp4")
    xml = mp.pytester.path / "junit.xml"
    mp.run(f"--junitxml={xml}", "-o", "junit_logging=all", "--mp-retries=0")
    case = next(ET.parse(xml).getroot().iter("testcase"))
    assert case.find("system-err").text.rstrip().endswith(_noisy_last())


@pytest.mark.parametrize("extra", [(), ("-n", "2")], ids=["serial", "xdist"])
@pytest.mark.parametrize("tb", ["auto", "long", "short", "native", "line", "no"])
def test_failure_text_follows_tb_style(mp, tb, extra):
    mp.add("defects_b.mp4")
    run = mp.run(f"--tb={tb}", "--mp-retries=0", *extra)
    assert run.outcomes() == {"failed": 1}
    head = "defects_b.mp4: 4 defects while playing a 0.48 s source"
    if tb == "no":
        assert "recording: " not in run.out
        assert "_ play defects_b.mp4 _" not in run.out
    elif tb == "line":
        assert f"samples/defects_b.mp4:1: {head}\n" in run.out
        assert "recording: " not in run.out
    else:
        section = "\n".join(line for line in run.section("defects_b.mp4").splitlines()
                            if not line.startswith("[gw"))
        assert section.lstrip().startswith(head)
        assert "recording: " in section
        assert "Traceback" not in section and "SampleFailed" not in section


def test_location_has_a_line(mp):
    """reportinfo gives line 0: tools print `clip.mp4:1`, never `:None`."""
    mp.add("perfect_a.mp4")
    mp.pytester.makeconftest(
        "def pytest_runtest_logreport(report):\n"
        "    if report.when == 'call':\n"
        "        print('LOCATION', report.location)\n")
    run = mp.run("-s")
    assert "LOCATION ('samples/perfect_a.mp4', 0, 'play perfect_a.mp4')" in run.out


def test_teamcity_messages_name_the_sample_with_a_line(mp):
    """teamcity-messages shows `clip.mp4:0`, never `clip.mp4:None`, as the location."""
    import teamcity  # noqa: F401  (in the test extra: a missing one fails, never skips)
    mp.add("defects_b.mp4")
    run = mp.run("--teamcity", "-p", "no:xdist")
    assert "samples/defects_b.mp4:0 (play defects_b.mp4)" in run.out
    assert ":None" not in run.out


@pytest.mark.parametrize("extra", [(), ("-n", "2")], ids=["serial", "xdist"])
def test_pytest_html_links_each_row_to_its_reports(mp, extra):
    import pytest_html  # noqa: F401  (in the test extra: a missing one fails, never skips)
    mp.add("perfect_a.mp4", "defects_b.mp4")
    (mp.pytester.path / "out").mkdir()
    page = mp.pytester.path / "out" / "report.html"
    run = mp.run(f"--html={page}", "--mp-retries=0", *extra)
    assert run.outcomes() == {"passed": 1, "failed": 1}
    text = html.unescape(page.read_text())
    base = "../samples/testrun_00"
    for href in (f"{base}/reports/index.html", f"{base}/reports/defects_b.mp4.all.txt",
                 f"{base}/reports/defects_b.mp4.anomalies.txt",
                 f"{base}/dbg/defects_b.mp4.dbg", f"{base}/dbg/perfect_a.mp4.dbg"):
        assert href in text, href
        target = (page.parent / href).resolve()
        assert target.exists(), target
    # the perfect play has no text reports, so no link to them
    assert not re.search(r"perfect_a\.mp4\.(all|anomalies)\.txt", text)

