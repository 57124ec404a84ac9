"""The packaging files parse, pass the freedesktop validators, and agree with each other, with pyproject.toml and
with the code (no bundle is built here: packaging/build_bundle.sh does that and smoke-tests it)."""

import ast
import configparser
import os
import re
import shutil
import struct
import subprocess
import sys
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
ICON_SIZES = (16, 32, 48, 64, 128, 256, 512)
INSTALL = PACKAGING / "install-desktop.sh"


def _png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n" and head[12:16] == b"IHDR", f"{path} is not a PNG"
    return struct.unpack(">II", head[16:24])


def _needs(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        pytest.skip(f"{tool} is not installed (Debian: desktop-file-utils, appstream, icu-devtools, binutils)")
    return path


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
    # TryExec is a program, not a command line: menus hide an entry whose TryExec names no file
    assert entry["TryExec"] == entry["Exec"].split()[0]


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
    assert _png_size(ICON_PNG) == (256, 256)


def test_pyinstaller_spec_is_valid_python_and_points_at_the_entry_point():
    source = SPEC.read_text(encoding="utf-8")
    compile(source, str(SPEC), "exec")  # a syntax error would only show at build time
    assert '"ffviz" / "cli.py"' in source and (ROOT / "ffviz" / "cli.py").is_file()
    assert '"resources"' in source


# --- the freedesktop validators, as software centres and menus run them ------------------------------------------

def test_desktop_entry_passes_desktop_file_validate():
    res = subprocess.run([_needs("desktop-file-validate"), str(DESKTOP)], capture_output=True, text=True)
    problems = [line for line in res.stdout.splitlines() if ": error:" in line or ": warning:" in line]
    assert res.returncode == 0 and not problems, res.stdout + res.stderr


def test_metainfo_passes_appstreamcli_validate():
    res = subprocess.run([_needs("appstreamcli"), "validate", "--no-net", str(METAINFO)], capture_output=True,
                         text=True)
    assert res.returncode == 0, res.stdout + res.stderr


def test_metainfo_screenshot_is_a_file_of_the_repository_it_names():
    root = ET.parse(METAINFO).getroot()
    homepage = root.findtext("url[@type='homepage']")
    match = re.fullmatch(r"https://github\.com/([^/]+)/([^/]+)", homepage or "")
    assert match, f"the homepage must be the repository's address, not {homepage!r}"
    images = [image.text.strip() for image in root.iter("image")]
    assert images, "software centres show no app without a screenshot"
    raw = f"https://raw.githubusercontent.com/{match[1]}/{match[2]}/main/"
    for url in images:
        assert url.startswith(raw), f"{url} is not in the repository {homepage}"
        assert (ROOT / url.removeprefix(raw)).is_file(), f"{url.removeprefix(raw)} is not in this repository"
    release = root.find("releases/release")
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", release.get("date", "")), "a release needs its date"
    assert root.find("content_rating").get("type") == "oars-1.1"


# --- icons ---------------------------------------------------------------------------------------------------------

def test_every_icon_size_exists_and_is_that_size():
    for size in ICON_SIZES:
        png = ROOT / "resources" / "icons" / "hicolor" / f"{size}x{size}" / "apps" / f"{APP_ID}.png"
        assert png.is_file(), f"{png.relative_to(ROOT)} is missing (python packaging/render_icons.py)"
        assert _png_size(png) == (size, size), png


def test_icon_pngs_are_rendered_from_the_current_svg(qapp):
    sys.path.insert(0, str(PACKAGING))
    try:
        import render_icons
    finally:
        sys.path.remove(str(PACKAGING))
    import numpy as np
    from PySide6 import QtGui

    def pixels(image: QtGui.QImage) -> np.ndarray:
        image = image.convertToFormat(QtGui.QImage.Format.Format_RGBA8888)
        data = np.frombuffer(image.constBits(), dtype=np.uint8, count=image.sizeInBytes())
        return data.reshape(image.height(), image.bytesPerLine())[:, :image.width() * 4].astype(float).copy()

    for size, path in [(s, render_icons.png_path(s)) for s in ICON_SIZES] + [(256, ICON_PNG)]:
        stored, fresh = pixels(QtGui.QImage(str(path))), pixels(render_icons.render(size))
        # 0 with the Qt that rendered them; another Qt may antialias a little differently. Moving or resizing one
        # node changes the mean by ~2 (of 255), recolouring one colour by ~3.
        assert np.abs(stored - fresh).mean() < 0.5, \
            f"{path.name} ({size} px) is stale: run python packaging/render_icons.py"


# --- install-desktop.sh into a scratch XDG_DATA_HOME --------------------------------------------------------------

def _install(data: Path, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, XDG_DATA_HOME=str(data))
    return subprocess.run(["bash", str(INSTALL), *args], capture_output=True, text=True, env=env, timeout=60)


@pytest.mark.skipif(os.name != "posix", reason="a shell script for Linux desktops")
def test_install_desktop_installs_for_the_user_and_uninstalls_only_its_files(tmp_path):
    data = tmp_path / "share"
    program = tmp_path / "my apps" / "ffviz"  # a bundle in a folder with a space in its name
    program.parent.mkdir()
    program.write_text("#!/bin/sh\n", encoding="utf-8")
    program.chmod(0o755)
    foreign = data / "applications" / "other.desktop"
    foreign.parent.mkdir(parents=True)
    foreign.write_text("[Desktop Entry]\n", encoding="utf-8")

    res = _install(data, "--exec", str(program))
    assert res.returncode == 0, res.stderr
    installed = {
        data / "applications" / f"{APP_ID}.desktop": None,
        data / "metainfo" / f"{APP_ID}.metainfo.xml": METAINFO,
        data / "icons" / "hicolor" / "scalable" / "apps" / f"{APP_ID}.svg": ICON_SVG,
    }
    for size in ICON_SIZES:
        rel = Path("icons") / "hicolor" / f"{size}x{size}" / "apps" / f"{APP_ID}.png"
        installed[data / rel] = ROOT / "resources" / rel
    for target, source in installed.items():
        assert target.is_file(), target
        if source is not None:
            assert target.read_bytes() == source.read_bytes(), target
    entry = (data / "applications" / f"{APP_ID}.desktop").read_text(encoding="utf-8")
    assert f'Exec="{program}" --errors-in-window %f' in entry.splitlines() and f"TryExec={program}" in entry.splitlines()
    if shutil.which("desktop-file-validate"):
        check = subprocess.run(["desktop-file-validate", str(data / "applications" / f"{APP_ID}.desktop")],
                               capture_output=True, text=True)
        assert check.returncode == 0, check.stdout

    res = _install(data, "--uninstall")
    assert res.returncode == 0, res.stderr
    assert not [t for t in installed if t.exists()]
    assert foreign.is_file(), "uninstalling must leave other applications' files alone"


@pytest.mark.skipif(os.name != "posix", reason="a shell script for Linux desktops")
def test_install_desktop_refuses_a_missing_program_in_one_line(tmp_path):
    res = _install(tmp_path / "share", "--exec", str(tmp_path / "nowhere" / "ffviz"))
    assert res.returncode != 0
    assert res.stderr.strip().count("\n") == 0 and "not an executable" in res.stderr
    assert not (tmp_path / "share").exists(), "a refused install writes nothing"


# --- the bundle's contents ----------------------------------------------------------------------------------------

def _spec_list(name: str):
    """A list or dict the spec writes out literally."""
    for node in ast.parse(SPEC.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == name for t in node.targets):
            return ast.literal_eval(node.value)
    raise AssertionError(f"{SPEC.name} has no {name} list")


def test_bundle_keeps_every_qt_module_ffviz_imports():
    imported = set()
    for path in (ROOT / "ffviz").rglob("*.py"):
        source = path.read_text(encoding="utf-8")
        imported |= {m for line in re.findall(r"from PySide6 import ([\w ,()]+)", source)
                     for m in re.findall(r"Qt\w+", line)}
        imported |= set(re.findall(r"PySide6\.(Qt\w+)", source))
    kept = set(_spec_list("QT_MODULES"))
    assert imported and imported <= kept, (f"the bundle would lack {sorted(imported - kept)}: add them to "
                                           f"QT_MODULES in packaging/ffviz.spec")


def test_bundle_keeps_the_platforms_it_needs():
    platforms = set(_spec_list("QT_PLUGINS")["platforms"])
    assert {"qxcb", "qoffscreen"} <= platforms, "X11 and --smoke-test (offscreen) need these"


# --- the trimmed ICU data library ----------------------------------------------------------------------------------

def _libicudata() -> Path:
    try:
        import PySide6
    except ImportError:
        pytest.skip("PySide6 is not installed")
    found = sorted((Path(PySide6.__file__).parent / "Qt" / "lib").glob("libicudata.so.*"))
    if not found:
        pytest.skip("this PySide6 has no ICU data library (not Linux)")
    return found[0]


def _trim_icu():
    sys.path.insert(0, str(PACKAGING))
    try:
        import trim_icu
    finally:
        sys.path.remove(str(PACKAGING))
    return trim_icu


def test_trim_icu_finds_the_data_package_in_the_library():
    name, package = _trim_icu().data_symbol(_libicudata())
    assert re.fullmatch(r"icudt\d+_dat", name)
    assert package[2:4] == b"\xda\x27" and package[12:16] == b"CmnD"  # an ICU common-data package


_ICU_PROBE = """
import os
from PySide6 import QtCore, QtWidgets
app = QtWidgets.QApplication([])
words = ["file10", "Zebra", "apple", "Äpfel", "file9", "école", "Ölung", "zebra", "Eagle"]
coll = QtCore.QCollator(QtCore.QLocale("en_US"))
coll.setNumericMode(True)
print(sorted(words, key=coll.sortKey))
print(QtCore.QLocale("de_DE").toUpper("straße"), QtCore.QLocale("tr_TR").toUpper("istanbul"))
print(QtCore.QTimeZone(b"Europe/Berlin").offsetFromUtc(QtCore.QDateTime(QtCore.QDate(2026, 7, 1), QtCore.QTime(12, 0))))
print(QtCore.QStringDecoder("UTF-8").isValid())
print([line.split()[-1] for line in open("/proc/self/maps") if "libicudata" in line][0])
"""


def test_trimmed_icu_sorts_and_maps_case_as_the_full_one(tmp_path):
    for tool in ("icupkg", "as", "ld", "readelf"):
        _needs(tool)
    trim_icu = _trim_icu()
    source = _libicudata()
    before, after = trim_icu.trim(source, tmp_path / "icu" / source.name)
    assert after < before / 3

    def probe(library_dir=None):
        env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
        if library_dir is not None:
            env["LD_LIBRARY_PATH"] = str(library_dir)  # searched before the Qt libraries' own RUNPATH
        res = subprocess.run([sys.executable, "-c", _ICU_PROBE], capture_output=True, text=True, env=env,
                             timeout=60)
        assert res.returncode == 0, res.stderr
        return res.stdout.splitlines()

    full, trimmed = probe(), probe(tmp_path / "icu")
    assert trimmed[-1] == str(tmp_path / "icu" / source.name), "the trimmed library was not the one loaded"
    assert trimmed[:-1] == full[:-1]


def test_the_desktop_entry_has_the_window_report_a_file_it_cannot_open():
    """Launched from a menu nobody reads stderr: --errors-in-window shows the error in the window."""
    entry = (ROOT / "packaging" / "io.github.ffviz.desktop").read_text()
    assert "Exec=ffviz --errors-in-window %f" in entry.splitlines()


def test_the_bundles_stand_in_for_qtopengl_lets_pyqtgraph_draw_and_says_what_is_missing():
    # the bundle leaves Qt's OpenGL bindings out (packaging/ffviz.spec); its runtime hook stands in for them
    script = f"""
import runpy, sys
runpy.run_path({str(PACKAGING / "rthook_qtopengl.py")!r})
import pyqtgraph as pg
from PySide6 import QtWidgets
app = QtWidgets.QApplication([])
w = pg.PlotWidget()
w.plot([1, 2, 3], [3, 1, 2])
w.resize(120, 90)
w.show()
app.processEvents()
assert w.grab().width() == 120
import PySide6.QtOpenGL as gl
assert gl is sys.modules["PySide6.QtOpenGL"] and "stand-in" in gl.__doc__
assert not hasattr(gl, "QOpenGLBuffer") and getattr(gl, "QOpenGLTexture", None) is None  # probes: not there
try:
    gl.QOpenGLBuffer
except AttributeError as exc:
    print("refused:", exc)
"""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    res = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=60)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "refused: PySide6.QtOpenGL.QOpenGLBuffer: this build of ffviz leaves out" in res.stdout
    assert "QtOpenGL" not in _spec_list("QT_MODULES")


def test_ffviz_never_switches_on_pyqtgraphs_opengl_drawing():
    # what the stand-in for QtOpenGL relies on: pyqtgraph touches QtOpenGL only to draw with OpenGL
    # (the 3-D view imports pyqtgraph.opengl, which the bundle leaves out on purpose and says so)
    for path in (ROOT / "ffviz").rglob("*.py"):
        source = path.read_text(encoding="utf-8")
        found = re.findall(r"\bQtOpenGL\b(?!Widgets)|useOpenGL|enableExperimental", source)
        assert not found, f"{path.relative_to(ROOT)} uses {found[0]}: the bundle has no QtOpenGL"
