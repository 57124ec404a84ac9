"""Animations of a run: N updates of one view as an animated GIF or APNG (Pillow), from the window or headless.

Frames: the view as it is now, then after every `stride` updates: the trainer trains, a snapshot is taken and
shown in an offscreen view (ui/offscreen.py), and the view is drawn into an image. The trainer given is trained:
pass a copy (engine/session_state.py restore(capture(...))) to leave a run as it was. Sizes are bounded before
anything is drawn: at most MAX_FRAMES frames, MAX_WIDTH pixels wide and MAX_PIXELS pixels in all (every frame is
kept until the file is written).
"""

from __future__ import annotations

import io
import math
from pathlib import Path

from ffviz.errors import FfvizError

FORMATS = ("gif", "apng")
MAX_FRAMES = 1000
MAX_WIDTH = 1920
MAX_PIXELS = 160 * 2**20  # all frames together: 480 MiB as RGB
DEFAULT_WIDTH = 960
PLANE = 64  # the input plane's resolution in frames
HOLD_MS = 1500  # the last frame stays this long before the animation loops


def frame_count(updates: int, stride: int) -> int:
    """Frames of an animation of `updates` updates, one every `stride`: the first picture, then one a stride."""
    return 1 + math.ceil(updates / stride)


def check(updates: int, stride: int, width: int, aspect: float = 0.75) -> int:
    """The number of frames, or one FfvizError line saying which size is too large and what to change."""
    for value, what in ((updates, "the number of updates"), (stride, "the stride"), (width, "the width")):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise FfvizError(f"{what} of an animation must be a whole number of at least 1, not {value!r}")
    if width > MAX_WIDTH:
        raise FfvizError(f"an animation is at most {MAX_WIDTH} pixels wide, not {width}")
    frames = frame_count(updates, stride)
    if frames > MAX_FRAMES:
        raise FfvizError(f"{updates} updates one frame every {stride} would make {frames:,} frames; an animation "
                         f"has at most {MAX_FRAMES:,}: use a stride of {math.ceil(updates / (MAX_FRAMES - 1))} "
                         f"or more")
    pixels = frames * width * max(1, round(width * aspect))
    if pixels > MAX_PIXELS:
        raise FfvizError(f"{frames:,} frames {width} pixels wide are too many pixels to keep; use a larger "
                         f"stride or a smaller width")
    return frames


def format_of(path) -> str:
    """"gif" or "apng", from the file name (.gif; .png or .apng)."""
    suffix = Path(path).suffix.lower()
    if suffix == ".gif":
        return "gif"
    if suffix in (".png", ".apng"):
        return "apng"
    raise FfvizError(f"an animation is saved as .gif or .png (APNG), not {Path(path).name!r}")


def record(trainer, key: str, updates: int, *, stride: int = 1, width: int = DEFAULT_WIDTH, settings=None,
           theme=None, progress=None) -> list:
    """The frames (PIL images) of `updates` updates of the view `key`, training `trainer`. `progress(done,
    total)` is called after each frame; returning False stops early (the frames so far are kept). Training that
    diverges ends the animation at the last frame drawn."""
    from ffviz.ui import offscreen
    from ffviz.ui.export import render_image
    frames_wanted = check(updates, stride, width)
    views = offscreen.make_views([key], theme=theme)
    target = views[0].view.export_target()
    frames = []

    def draw() -> bool:
        offscreen.show(views, trainer.snapshot(plane_resolution=PLANE), settings)
        frames.append(_pil(render_image(target, width)))
        return progress is None or progress(len(frames), frames_wanted) is not False

    try:
        done = 0
        going = draw()
        while going and done < updates:
            n = min(stride, updates - done)
            trainer.step(n)
            trainer.record_evaluation()  # the loss curves grow frame by frame
            if trainer.diverged is not None:  # its weights are not numbers to draw
                break
            done += n
            going = draw()
    finally:
        offscreen.close(views)
    return frames


def encode(frames: list, fmt: str, fps: float = 10.0) -> bytes:
    """The frames as an animated GIF or APNG, looping; the last frame held HOLD_MS."""
    if fmt not in FORMATS:
        raise FfvizError(f"an animation is a gif or an apng, not {fmt!r}")
    if not frames:
        raise FfvizError("an animation needs at least one frame")
    from PIL import Image
    step = max(20, round(1000 / fps))
    durations = [step] * (len(frames) - 1) + [max(step, HOLD_MS)]
    buf = io.BytesIO()
    if fmt == "gif":
        # One palette per frame from its own colours (median cut), not dithered: plots are flat colours and
        # lines, which dithering would speckle; the plane's shading keeps 255 levels.
        paletted = [f.quantize(colors=255, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
                    for f in frames]
        paletted[0].save(buf, format="GIF", save_all=True, append_images=paletted[1:], duration=durations,
                         loop=0, disposal=1)
    else:
        frames[0].save(buf, format="PNG", save_all=True, append_images=frames[1:], duration=durations, loop=0,
                       default_image=False)
    return buf.getvalue()


def _pil(image):
    """A QImage as a PIL RGB image (a copy)."""
    from PIL import Image
    from PySide6 import QtGui
    rgb = image.convertToFormat(QtGui.QImage.Format.Format_RGB888)
    data = bytes(rgb.constBits())[: rgb.sizeInBytes()]
    return Image.frombuffer("RGB", (rgb.width(), rgb.height()), data, "raw", "RGB", rgb.bytesPerLine(), 1).copy()
