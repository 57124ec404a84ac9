"""`ffviz surface` and `ffviz explain` on the command line: the files and the text hold the engine's numbers
(checked against the slides' network written out in NumPy), and bad input is one line with exit status 2."""

import shutil
import struct
import subprocess

import numpy as np
import pytest

from tests.test_cli import run

X, Y = np.array([0.50, 0.51]), 0.10


def lecture_j(w1, w2):
    yhat = 1.0 / (1.0 + np.exp(-(np.asarray(w1) * X[0] + np.asarray(w2) * X[1])))
    return 0.5 * (yhat - Y) ** 2


def png_size(path):
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", head[16:24])


def test_the_lecture_surface_file_holds_J_and_the_slides_step(tmp_path):
    res = run("surface", "lecture", "--weights", "kernel1[0,0]", "kernel1[1,0]", "--resolution", "11",
              "--out", str(tmp_path))
    assert res.returncode == 0, res.stderr
    assert "J over 11 × 11 of kernel1[0,0], kernel1[1,0]" in res.stdout and "surface.png, surface.svg" in res.stdout
    with np.load(tmp_path / "surface.npz", allow_pickle=False) as f:
        a, b, loss = f["a"], f["b"], f["loss"]
        assert a.shape == b.shape == (11,) and loss.shape == (11, 11)
        aa, bb = np.meshgrid(a, b, indexing="ij")
        np.testing.assert_allclose(loss, lecture_j(aa, bb), rtol=2e-6)
        assert tuple(f["names"]) == ("kernel1[0,0]", "kernel1[1,0]") and str(f["kind"]) == "weights"
        np.testing.assert_array_equal(f["center_ab"], [0.35, 0.40])
        np.testing.assert_allclose(f["center_ab"] + f["step_ab"], [0.29046, 0.33927], atol=5e-6)
        assert f["trajectory"].shape == (1, 2) and list(f["steps"]) == [0]
    assert png_size(tmp_path / "surface.png")[0] == 1920
    svg = (tmp_path / "surface.svg").read_text()
    assert svg.lstrip().startswith("<?xml") and "non-scaling-stroke" not in svg


@pytest.mark.skipif(shutil.which("rsvg-convert") is None, reason="needs librsvg2-bin")
def test_the_surface_svg_is_drawn_by_librsvg(tmp_path):
    res = run("surface", "circle", "--steps", "20", "--plane", "pca", "--resolution", "9", "--out", str(tmp_path))
    assert res.returncode == 0, res.stderr
    png = tmp_path / "rsvg.png"
    subprocess.run(["rsvg-convert", str(tmp_path / "surface.svg"), "-o", str(png)], check=True, timeout=60)
    assert png_size(png)[0] > 500


def test_a_pca_surface_file_has_its_plane_and_the_whole_path(tmp_path):
    res = run("surface", "circle", "--steps", "30", "--plane", "pca", "--resolution", "7", "--out", str(tmp_path))
    assert res.returncode == 0, res.stderr
    with np.load(tmp_path / "surface.npz", allow_pickle=False) as f:
        P = f["center"].shape[0]
        assert f["directions"].shape == (2, P) and f["parameter_names"].shape == (P,)
        assert f["trajectory"].shape == (31, 2) and list(f["steps"]) == list(range(31))
        d = f["directions"]
        np.testing.assert_allclose(d @ d.T, np.eye(2), atol=1e-9)  # PCA axes are orthonormal
        assert 0 < f["explained"].sum() <= 1 + 1e-12
        np.testing.assert_allclose(f["trajectory"][-1], [0.0, 0.0], atol=1e-12)  # the path ends at the centre


@pytest.mark.parametrize("args, needle", [
    (("--weights", "kernel9[0,0]", "kernel1[1,0]"), "--weights kernel9[0,0]"),
    (("--weights", "kernel1[0,0]", "kernel1[0,0]"), "twice"),
    (("--weights", "kernel1[0,0]", "kernel1[1,0]", "--resolution", "1"), "resolution"),
    (("--weights", "kernel1[0,0]", "kernel1[1,0]", "--steps", "-1"), "--steps"),
    (("--plane", "pca"), "--plane pca needs a path"),
    (("--plane", "pca", "--steps", "5", "--seed", "3"), "--seed"),
    (("--weights", "kernel1[0,0]", "kernel1[1,0]", "--span", "nan"), "span"),
    (("--plane", "random", "--seed", "-5"), "seed"),
])
def test_bad_surface_requests_are_one_line_and_write_nothing(tmp_path, args, needle):
    out = tmp_path / "out"
    res = run("surface", "circle", *args, "--out", str(out))
    assert res.returncode == 2, (res.stdout, res.stderr)
    line, = res.stderr.strip().splitlines()
    assert line.startswith("ffviz: ") and needle in line, line
    assert "Traceback" not in res.stderr
    assert not (out / "surface.npz").exists()


def test_explain_works_the_slides_update_out_in_every_format():
    res = run("explain", "lecture", "--weight", "kernel1[0,0]")
    assert res.returncode == 0, res.stderr
    text = res.stdout
    for line in ("Σ = x₁w₁ + x₂w₂ = 0.500·0.350 + 0.510·0.400 = 0.379", "J = ½(y − ŷ)² = ½(0.100 − 0.594)² = 0.122",
                 "∂J/∂w₁ = δ·x₁ = 0.119·0.500 = 0.0595", "w₁′ = w₁ − η·∂J/∂w₁ = 0.350 − 1·0.0595 = 0.290"):
        assert line in text, line
    full = run("explain", "lecture", "--weight", "kernel1[0,0]", "--format", "latex", "--digits", "full").stdout
    s = 0.5 * 0.35 + 0.51 * 0.40
    yhat = 1 / (1 + np.exp(-s))
    assert repr(float(yhat)) in full and repr(float(0.5 * (0.1 - yhat) ** 2)) in full
    md = run("explain", "lecture", "--weight", "kernel1[1,0]", "--format", "markdown", "--steps", "1").stdout
    assert "Update 2" in md and "0.339" in md


# a batch (its sum), fan-out (paths), a deep chain, softmax, the perceptron, a bias, full precision
LATEX_CASES = [("lecture", "kernel1[0,0]", ()), ("xor-2", "kernel1[1,1]", ()), ("deep-sigmoid", "kernel5[0,0]", ()),
               ("softmax", "kernel1[0,0]", ("--steps", "2")), ("perceptron", "kernel1[0,0]", ()),
               ("circle", "bias2[1]", ("--digits", "full"))]
LATEX_DOCUMENT = "\\documentclass{article}\n\\usepackage{amsmath}\n\\begin{document}\n\\input{fragment}\n\\end{document}\n"


@pytest.mark.parametrize("spec, weight, extra", LATEX_CASES)
def test_explain_latex_is_plain_tex_and_compiles_as_a_fragment(tmp_path, spec, weight, extra):
    """Beyond the slides' one-sample net the LaTeX held a batch's sum and the paths as raw Unicode after the
    aligned block (∂J/∂w₂₂⁽¹⁾), and w^{(1)}_{22}' (a double superscript): pdflatex refused both."""
    res = run("explain", spec, "--weight", weight, "--format", "latex", *extra)
    assert res.returncode == 0, res.stderr
    body = "\n".join(line for line in res.stdout.splitlines() if not line.startswith("%"))
    assert body.isascii(), [c for c in body if not c.isascii()][:5]
    pdflatex = shutil.which("pdflatex")
    if pdflatex is None:
        pytest.skip("pdflatex is not installed (Debian: texlive-latex-base)")
    (tmp_path / "fragment.tex").write_text(res.stdout, encoding="utf-8")
    (tmp_path / "doc.tex").write_text(LATEX_DOCUMENT, encoding="utf-8")
    tex = subprocess.run([pdflatex, "-interaction=nonstopmode", "-halt-on-error", "doc.tex"], cwd=tmp_path,
                         capture_output=True, text=True, timeout=120)
    assert tex.returncode == 0 and (tmp_path / "doc.pdf").exists(), tex.stdout[-1500:]


@pytest.mark.parametrize("args, needle", [
    (("--weight", "kernel9[0,0]"), "no layer 9"),
    (("--weight", "bias1[0]"), "bias"),
    (("--weight", "kernel1[0,0]", "--steps", "-3"), "--steps"),
])
def test_bad_explain_requests_are_one_line(args, needle):
    res = run("explain", "lecture", *args)
    assert res.returncode == 2
    line, = res.stderr.strip().splitlines()
    assert line.startswith("ffviz: ") and needle in line, line


def test_train_plots_include_the_loss_surface(tmp_path):
    res = run("train", "lecture", "--steps", "1", "--out", str(tmp_path), "--plots")
    assert res.returncode == 0, res.stderr
    assert png_size(tmp_path / "loss-surface.png")[0] == 1920
    svg = (tmp_path / "loss-surface.svg").read_text()
    assert "0.290" in svg and "0.339" in svg  # the run's point after the slides' update, as text
