"""The packaging files parse and agree with each other and with pyproject.toml (no build, no Qt)."""

import configparser
import struct
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGING = ROOT / "packaging"
DESKTOP = PACKAGING / "io.github.ffviz.desktop"
METAINFO = PACKAGING / "io.github.ffviz.metainfo.xml"
SPEC = PACKAGING / "ffviz.spec"
ICON_SVG = ROOT / "resources" / "icons" / "ffviz.svg"
ICON_PNG = ROOT / "resources" / "icons" / "ffviz.png"
APP_ID = "io.github.ffviz"


def _pyproject() -> dict:
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def _desktop_entry() -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str  # desktop-entry keys are case-sensitive
    parser.read_string(DESKTOP.read_text(encoding="utf-8"), source=str(DESKTOP))
    return parser["Desktop Entry"]


def test_desktop_entry_starts_the_installed_command():
    entry = _desktop_entry()
    for key in ("Type", "Name", "Comment", "Exec", "Icon", "Categories"):
        assert entry.get(key, "").strip(), f"{DESKTOP.name} has no {key}"
    assert entry["Type"] == "Application"
    assert entry["Exec"].split()[0] in _pyproject()["scripts"], "Exec must name the console script pyproject installs"
    assert entry["Icon"] == APP_ID
    assert entry["Categories"].endswith(";") and "Education" in entry["Categories"].split(";")


def test_metainfo_describes_and_launches_the_app():
    root = ET.parse(METAINFO).getroot()
    assert root.tag == "component" and root.get("type") == "desktop-application"
    assert root.findtext("id") == APP_ID == DESKTOP.name.removesuffix(".desktop")
    launchable = root.find("launchable")
    assert launchable is not None and launchable.get("type") == "desktop-id" and launchable.text == DESKTOP.name
    paragraphs = root.findall("description/p")
    assert paragraphs and all(p.text and p.text.strip() for p in paragraphs)
    assert root.findtext("name") and root.findtext("summary")
    project = _pyproject()
    assert root.findtext("project_license") == project["license"]["text"]
    assert root.find("releases/release").get("version") == project["version"], "add the new release to the metainfo"
    for image in root.iter("image"):  # a screenshot must be a real picture, never a placeholder address
        assert "example" not in (image.text or ""), image.text


def test_icon_svg_parses_square_and_png_is_256px():
    svg = ET.parse(ICON_SVG).getroot()
    assert svg.tag == "{http://www.w3.org/2000/svg}svg"
    _, _, width, height = (float(v) for v in svg.get("viewBox").split())
    assert width == height
    assert len(svg.findall(".//{http://www.w3.org/2000/svg}circle")) >= 6  # the network's nodes
    head = ICON_PNG.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n" and head[12:16] == b"IHDR"
    assert struct.unpack(">II", head[16:24]) == (256, 256)


def test_pyinstaller_spec_is_valid_python_and_points_at_the_entry_point():
    source = SPEC.read_text(encoding="utf-8")
    compile(source, str(SPEC), "exec")  # a syntax error would only show at build time
    assert '"ffviz" / "cli.py"' in source and (ROOT / "ffviz" / "cli.py").is_file()
    assert '"resources"' in source
