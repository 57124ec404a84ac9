"""The loss surface as files, without a window: what `ffviz surface --out DIR` writes beside surface.npz. The
same canvas the window's view draws, shown the engine's result and its centre point, as PNG and SVG."""

from __future__ import annotations

from pathlib import Path

from ffviz.engine.surface import SurfacePoint

SIZE = (960, 720)  # drawn at 2× on a 1920-pixel slide, as the window's exports


def result_point(result, next_params=None, update_rule: str = "") -> SurfacePoint:
    """The run where the surface was computed: its centre, J and the step −η∇J the result carries, and where
    the run's next update goes (`next_params`, engine/surface.py next_update; None: not known)."""
    update_ab = None
    if next_params is not None:
        u = result.on_axes(next_params)[0]
        update_ab = (float(u[0]), float(u[1]))
    return SurfacePoint(result.step, tuple(float(v) for v in result.center_ab), float(result.center_loss),
                        float(result.center_loss), result.gradient, result.gradient_ab, float(result.learning_rate),
                        result.step_ab, 0.0, update_ab, update_rule)


def render_surface_files(result, out, theme=None, next_params=None, update_rule: str = "") -> list[Path]:
    """Write out/surface.png (1920 px wide) and out/surface.svg of `result`; returns their paths. With
    `next_params` the readout says where the run's next update goes when that is not −η∇J's step."""
    from ffviz.ui.offscreen import application
    application(headless=True)
    from ffviz.io.files import atomic_write_bytes
    from ffviz.ui import theme as themes
    from ffviz.ui.export import SLIDE_WIDTH, png_bytes, svg_bytes
    from ffviz.ui.views.surface.canvas import SurfaceCanvas

    canvas = SurfaceCanvas(theme=theme if theme is not None else themes.DEFAULT)
    try:
        canvas.resize(*SIZE)
        canvas.show_result(result)
        canvas.show_point(result_point(result, next_params, update_rule))
        out = Path(out)
        files = {"surface.png": png_bytes(canvas, SLIDE_WIDTH), "surface.svg": svg_bytes(canvas, "surface")}
        return [atomic_write_bytes(out / name, data) for name, data in files.items()]
    finally:
        canvas.close()
        canvas.deleteLater()
