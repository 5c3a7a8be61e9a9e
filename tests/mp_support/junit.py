"""--junitxml files: validation against the JUnit schema of each family, and
each sample's facts wherever its family puts them (pytest_pyglet_media.junit)."""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

XSD = Path(__file__).with_name("junit_xunit2.xsd")
#: xunit1 (legacy) adds, per testcase, properties and pytest's file/line/url
_XUNIT1_CHILDREN = '<xs:element ref="properties"/>'
_XUNIT1_ATTRIBUTES = ('<xs:attribute name="file" type="xs:string"/>'
                      '<xs:attribute name="line" type="xs:string"/>'
                      '<xs:attribute name="url" type="xs:string"/>')


def schema_text(family: str) -> str:
    text = XSD.read_text()
    if family in ("xunit1", "legacy"):
        text = text.replace("<!-- TESTCASE-CHILDREN -->", _XUNIT1_CHILDREN)
        text = text.replace("<!-- TESTCASE-ATTRIBUTES -->", _XUNIT1_ATTRIBUTES)
    return text


def validate(path: Path, family: str) -> None:
    """Raises xmlschema's error when the file breaks the family's schema."""
    import xmlschema

    xmlschema.XMLSchema(schema_text(family)).validate(str(path))


def cases(path: Path) -> dict[str, dict[str, str]]:
    """testcase name (the sample) -> its facts: the testcase's properties
    (xunit1) merged with the testsuite's `NAME[sample]` ones (xunit2)."""
    root = ET.parse(path).getroot()
    found: dict[str, dict[str, str]] = {}
    for case in root.iter("testcase"):
        name = case.get("name", "")
        assert name not in found, f"testcase {name} twice"
        found[name] = {p.get("name", ""): p.get("value", "") for p in case.iter("property")}
    for suite in root.iter("testsuite"):
        for props in suite.findall("properties"):
            for prop in props.iter("property"):
                m = re.fullmatch(r"(\w+)\[(.+)\]", prop.get("name", ""))
                if m:
                    found.setdefault(m.group(2), {})[m.group(1)] = prop.get("value", "")
    return found
