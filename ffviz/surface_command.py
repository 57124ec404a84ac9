"""`ffviz surface`: train headless, recording every update, then write the loss surface around the weights
reached, with the path on it.

    ffviz surface SPEC [--steps N] (--weights NAME NAME | --plane random|pca) [--resolution R] [--span S]
                  [--seed K] --out DIR

writes DIR/surface.npz (ffviz/io/surface_file.py) and, when the window's surface view can draw it headless,
DIR/surface.png and DIR/surface.svg (`render_surface_files` in ffviz.ui.views.surface.pictures).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from ffviz.errors import FfvizError

MAX_STEPS = 100_000
MAX_PATH_BYTES = 512 * 1024 * 1024  # the recorded path: (N + 1) × parameters × 8 bytes
PICTURES_MODULE = "ffviz.ui.views.surface.pictures"


def add_parser(sub) -> None:
    """The `surface` subcommand's arguments (called by ffviz/cli.py's build_parser)."""
    p = sub.add_parser("surface", help="train headless, then write the loss surface around the weights reached")
    p.add_argument("spec", help="a preset name (see `ffviz presets`) or a network file (JSON)")
    p.add_argument("--steps", type=int, default=0, help="updates to train first (default 0)")
    what = p.add_mutually_exclusive_group(required=True)
    what.add_argument("--weights", nargs=2, metavar="NAME",
                      help="the two weights of the axes, e.g. kernel1[0,0] kernel1[1,0]")
    what.add_argument("--plane", choices=("random", "pca"),
                      help="a plane through all weights: two filter-normalised random directions, or the "
                           "first two principal directions of the path")
    p.add_argument("--resolution", type=int, default=51, help="grid points per axis, 2 to 401 (default 51)")
    p.add_argument("--span", type=float, default=None,
                   help="half-width of both axes around the current weights (default: see docs)")
    p.add_argument("--seed", type=int, default=None, help="the random plane's directions (default 0)")
    p.add_argument("--out", required=True, help="folder to write surface.npz into")


def _request(args, layout):
    from ffviz.engine.surface import SurfaceRequest
    if args.seed is not None and args.plane != "random":
        raise FfvizError("--seed chooses the random plane's directions; it needs --plane random")
    if args.weights is not None:
        positions = []
        for name in args.weights:
            try:
                positions.append(layout.position(name))
            except FfvizError as exc:
                raise FfvizError(f"--weights {name}: {exc}") from None
        p, q = positions
        if p == q:
            raise FfvizError(f"--weights names {layout.name(p)} twice; the surface needs two different weights")
        return SurfaceRequest.two_weights(p, q, resolution=args.resolution, span=args.span)
    if args.plane == "random":
        return SurfaceRequest.random_plane(seed=args.seed or 0, resolution=args.resolution, span=args.span)
    return SurfaceRequest.pca_plane(resolution=args.resolution, span=args.span)


def _pictures(result, out: Path, next_params=None, update_rule: str = ""):
    """(paths written, why not): the window's surface view draws the PNG and SVG when it is there."""
    try:
        from importlib import import_module
        render = import_module(PICTURES_MODULE).render_surface_files
    except ImportError as exc:  # the view is not built yet, or Qt is not installed
        return [], f"{PICTURES_MODULE} is not available ({exc})"
    except AttributeError:
        return [], f"{PICTURES_MODULE} has no render_surface_files yet"
    return [Path(p) for p in render(result, out, next_params=next_params, update_rule=update_rule)], None


def surface_command(args) -> int:
    from ffviz.cli import EXIT_DIVERGED, EXIT_INTERRUPTED, _InterruptFlag
    from ffviz.engine.surface import Landscape, compute_surface
    from ffviz.engine.timeline import Trajectory
    from ffviz.engine.trainer import Trainer
    from ffviz.io.files import load_spec
    from ffviz.io.surface_file import write_surface_npz

    if not 0 <= args.steps <= MAX_STEPS:
        raise FfvizError(f"--steps must be from 0 to {MAX_STEPS}, not {args.steps}")
    cfg, base_dir = load_spec(args.spec)
    trainer = Trainer(cfg, base_dir=base_dir)  # bad data fails here, before anything is written
    layout = trainer.layout
    request = _request(args, layout)  # bad names and sizes fail before training
    if request.kind == "pca" and args.steps < 2:
        raise FfvizError(f"--plane pca needs a path of at least 2 updates (--steps 2 or more), not {args.steps}")
    if (args.steps + 1) * layout.size * 8 > MAX_PATH_BYTES:
        raise FfvizError(f"{args.steps} updates of {layout.size} parameters is more path than ffviz keeps "
                         f"({MAX_PATH_BYTES >> 20} MB); take fewer --steps")
    out = Path(args.out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise FfvizError(f"cannot create the output folder {out}: {exc.strerror or exc}") from None

    # Every update's weights, recorded here: the timeline thins old points, the file promises all of them.
    params = [trainer.params]
    with _InterruptFlag() as interrupted:
        while len(params) <= args.steps and not interrupted:
            if trainer.step(1) != 1:
                break
            params.append(trainer.params)
    interrupted = bool(interrupted) and len(params) <= args.steps
    diverged = trainer.diverged
    path = np.array(params)
    steps = np.arange(len(params))  # a new run starts at update 0
    ds = trainer.dataset
    # the last finite weights: a diverging update leaves the trainer's own non-finite
    landscape = Landscape(trainer.net, ds.x_train, ds.y_train, path[-1], trainer.config.regularization,
                          trainer.learning_rate, int(steps[-1]))
    result = compute_surface(request, landscape, Trajectory(steps, path))
    written = write_surface_npz(out / "surface.npz", result, layout)
    from ffviz.engine.surface import next_update
    # where the run's own next update goes (momentum, Adam, a mini-batch: not −η∇J's step), for the readout
    following = next_update(trainer.state()) if diverged is None else None
    pictures, why_not = _pictures(result, out, following, trainer.config.optimizer.name)
    r = request.resolution
    note = (f"; wrote {', '.join(p.name for p in pictures)}" if pictures
            else f"; no pictures: {why_not}")
    print(f"wrote {written}: J over {r} × {r} of {result.names[0]}, {result.names[1]} around the weights after "
          f"update {int(steps[-1])} (J = {result.center_loss:.6g}){note}")
    if diverged is not None:
        print(f"ffviz: training diverged ({diverged.reason}); the surface is drawn around the last finite "
              f"weights, from update {int(steps[-1])}", file=sys.stderr)
        return EXIT_DIVERGED
    if interrupted:
        print(f"ffviz: interrupted after {len(params) - 1} of {args.steps} updates; the surface is drawn around "
              "the weights reached", file=sys.stderr)
        return EXIT_INTERRUPTED
    return 0
