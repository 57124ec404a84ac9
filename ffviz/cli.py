"""`ffviz` on the command line: the app, and everything it produces, headless.

    ffviz [SPEC]                              open the window on a preset, network file or session
    ffviz train SPEC --steps N --out DIR      train headless; write weights.json, weights.npz, history.csv and
                                              session.ffviz (--plots: every view as PNG and SVG too)
    ffviz train DIR/session.ffviz --steps M   go on training a session, exactly (--rewind-to K: from update K)
    ffviz export SESSION --out DIR            every view of a session as PNG and SVG (--animate N: and an
                                              animation of its next N updates)
    ffviz surface SPEC --weights A B --out DIR   train headless; write the loss surface DIR/surface.npz
    ffviz explain SPEC --weight NAME          one weight's next update worked out as the slides do
    ffviz presets                             list the presets
    ffviz --smoke-test                        check that this build works (offscreen; ffviz/smoke.py)
"""

from __future__ import annotations

import argparse
import math
import multiprocessing
import os
import signal
import sys
import threading

from ffviz import __version__
from ffviz.errors import FfvizError

EXIT_USAGE = 2
EXIT_DIVERGED = 3
EXIT_INTERRUPTED = 130  # the shell's status for Ctrl+C
CHUNK = 64  # updates between two looks at Ctrl+C while training headless
HISTORY_ROWS = 1000  # `ffviz train` evaluates about this many times a run unless told otherwise
THEMES = ("system", "light", "dark", "high-contrast")  # ffviz/ui/theme.py THEME_NAMES (not imported: no Qt here)


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line (no usage dump) and exit status 2."""

    def error(self, message):
        raise FfvizError(f"{message} (see ffviz --help)")


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="ffviz", description="See and drive the theory of feed-forward neural networks.")
    p.add_argument("--version", action="version", version=f"ffviz {__version__}")
    sub = p.add_subparsers(dest="command", parser_class=_Parser)

    gui = sub.add_parser("gui", help="open the window (the default command)")
    gui.add_argument("spec", nargs="?", default=None,
                     help="a preset name, a network file or a session (default: circle)")
    gui.add_argument("--theme", choices=THEMES, default=None,
                     help="colours for this launch (default: as last chosen in View → Theme)")
    gui.add_argument("--font-scale", type=float, default=None, metavar="S",
                     help="text and nodes S times their normal size, e.g. 1.5 for a projector (0.6 to 3)")
    gui.add_argument("--errors-in-window", action="store_true",
                     help="a SPEC that cannot be opened is reported in the window (on the default preset) "
                          "instead of stopping: what the desktop entry uses")

    train = sub.add_parser("train", help="train headless and write weights.json, weights.npz, history.csv and "
                                         "session.ffviz")
    train.add_argument("spec", help="a preset name (see `ffviz presets`), a network or weights file (JSON, NPZ), "
                                    "or a session (.ffviz) to go on training")
    train.add_argument("--steps", type=int, required=True, help="number of updates to run")
    train.add_argument("--out", default=None,
                       help="folder to write weights.json, weights.npz, history.csv and session.ffviz into "
                            "(default for a session: the session's folder)")
    train.add_argument("--rewind-to", type=int, default=None, metavar="K",
                       help="a session only: first go back to update K of its timeline (exactly), then train")
    train.add_argument("--plots", action="store_true",
                       help="also write every view as PNG (1920 pixels wide) and SVG (drawn offscreen)")
    train.add_argument("--eval-every", type=int, default=None, metavar="K",
                       help="evaluate train/test loss every K updates (default: about 1,000 rows of history "
                            "a run, steps / 1000 rounded up; the last update is always evaluated)")
    train.add_argument("--learning-rate", type=float, default=None, help="override the spec's learning rate")
    train.add_argument("--seed", type=int, default=None, help="override the spec's seed")

    explain = sub.add_parser("explain", help="print one weight's next update as the slides work it out")
    explain.add_argument("spec", help="a preset name or a network file")
    explain.add_argument("--weight", required=True, metavar="NAME",
                         help="kernel1[0,0] (from unit 0 of the layer below to unit 0 of layer 1: the lecture's w1) "
                              "or bias2[0]")
    explain.add_argument("--steps", type=int, default=0, metavar="K", help="train K updates first, explain update K+1")
    explain.add_argument("--format", choices=("text", "markdown", "latex"), default="text")
    explain.add_argument("--digits", choices=("3", "slides", "full"), default="3",
                         help="3 significant digits (default), 2 decimals as on the slides, or full precision")

    export = sub.add_parser("export", help="draw a saved session's views (and an animation) into a folder")
    export.add_argument("session", help="a session file (.ffviz), as `ffviz train` and File → Save session write")
    export.add_argument("--out", required=True, help="folder to write the pictures into")
    export.add_argument("--width", type=int, default=None, metavar="PX",
                        help="PNG width in pixels (default 1920, a slide's)")
    export.add_argument("--scale", type=float, default=None, metavar="S",
                        help="PNG at S times the views' size (960 × 720) instead of a width")
    export.add_argument("--animate", type=int, default=None, metavar="N",
                        help="also an animation of the session's next N updates (the session is not changed)")
    export.add_argument("--view", default=None, metavar="KEY",
                        help="the view to animate: network, boundary, loss, … (default: boundary for 2-D "
                             "data, else network)")
    export.add_argument("--stride", type=int, default=1, metavar="S", help="a frame every S updates (default 1)")
    export.add_argument("--frame-width", type=int, default=None, metavar="PX",
                        help="the animation's width in pixels (default 960)")
    export.add_argument("--format", choices=("gif", "apng", "both"), default="both",
                        help="animated GIF, APNG (a PNG that animates), or both (default)")

    from ffviz.surface_command import add_parser as add_surface_parser
    add_surface_parser(sub)

    sub.add_parser("presets", help="list the built-in presets")
    return p


class _InterruptFlag:
    """While active, Ctrl+C (SIGINT) sets the flag instead of raising, so training stops between two updates
    and what was trained is written; a second Ctrl+C interrupts at once (nothing half-written: writes are
    atomic). Falsy until interrupted."""

    def __init__(self):
        self._set = False
        self._previous = None

    def __bool__(self) -> bool:
        return self._set

    def _handle(self, signum, frame) -> None:
        self._set = True
        signal.signal(signal.SIGINT, self._previous)

    def __enter__(self) -> "_InterruptFlag":
        if threading.current_thread() is threading.main_thread():
            previous = signal.getsignal(signal.SIGINT)
            if previous is not signal.SIG_IGN:  # started with Ctrl+C ignored (in the background): keep it so
                self._previous = previous  # before the handler can run
                signal.signal(signal.SIGINT, self._handle)
        return self

    def __exit__(self, *exc) -> None:
        if self._previous is not None and not self._set:
            signal.signal(signal.SIGINT, self._previous)


def _train(args) -> int:
    from dataclasses import replace

    from ffviz.engine.config import validate
    from ffviz.engine.session_state import capture, restore
    from ffviz.engine.trainer import Trainer
    from ffviz.errors import shown_path
    from ffviz.io.files import encode_text, ensure_folder, history_csv, load_spec, network_file_text, write_run
    from ffviz.io.session import load_session, looks_like_session, session_writer
    from ffviz.io.weights import npz_bytes

    if args.steps < 0:
        raise FfvizError(f"--steps must be 0 or more, not {args.steps}")
    if args.eval_every is None:
        args.eval_every = max(1, math.ceil(args.steps / HISTORY_ROWS))
    if args.eval_every < 1:
        raise FfvizError(f"--eval-every must be 1 or more, not {args.eval_every}")
    view: dict = {}
    if looks_like_session(args.spec):
        # Going on from a saved run: its config, data, weights, optimizer, batch order and history as they were.
        session = load_session(args.spec)
        if args.seed is not None:
            raise FfvizError("--seed cannot change a saved session's run (its data and weights come from its seed); "
                             "train the network file or preset with --seed instead")
        trainer = restore(session.run)
        view = session.view
        if args.rewind_to is not None:
            trainer.restore_step(args.rewind_to)  # exact: the nearest checkpoint, then the updates replayed
        if args.learning_rate is not None:
            trainer.set_learning_rate(args.learning_rate)
        base_dir = trainer.base_dir
        out_arg = args.out if args.out is not None else os.path.dirname(os.path.abspath(args.spec))
    else:
        if args.rewind_to is not None:
            raise FfvizError("--rewind-to goes back in a session's timeline: give a session (.ffviz) as SPEC")
        if args.out is None:
            raise FfvizError("--out is required (the folder to write into) unless SPEC is a session")
        cfg, base_dir = load_spec(args.spec)
        if args.seed is not None:
            cfg = validate(replace(cfg, seed=args.seed))
        if args.learning_rate is not None:  # in the config, so the run's history has it from step 0 on
            Trainer.check_learning_rate(args.learning_rate)
            cfg = cfg.with_learning_rate(args.learning_rate)
        trainer = Trainer(cfg, base_dir=base_dir)  # bad data fails here, before anything is written
        out_arg = args.out
    out = ensure_folder(out_arg)  # before training: a folder that cannot be made fails now, not in an hour
    done = since_eval = 0
    with _InterruptFlag() as interrupted:  # Ctrl+C stops between two updates and keeps what was trained
        while done < args.steps and trainer.diverged is None and not interrupted:
            # Short chunks, so Ctrl+C is seen within ~CHUNK updates, however sparse the evaluations are.
            k = trainer.step(min(CHUNK, args.eval_every - since_eval, args.steps - done))
            done += k
            since_eval += k
            if since_eval >= args.eval_every or done >= args.steps or trainer.diverged or interrupted:
                trainer.record_evaluation()
                since_eval = 0
    interrupted = bool(interrupted) and done < args.steps
    diverged = trainer.diverged
    if diverged is not None:
        trainer.recover()
    ev = trainer.evaluate()
    trained = {"steps": trainer.step_count, "epochs": round(trainer.epoch, 6),
               "train_loss": ev.train_loss if math.isfinite(ev.train_loss) else None}
    params = (trainer.config, trainer.kernels, trainer.biases)
    stats = trainer.dataset.standardization  # the weights expect inputs scaled so: they go with them
    files = {
        "weights.json": encode_text(network_file_text(*params, base_dir, trained, stats)),
        "weights.npz": npz_bytes(*params, base_dir=base_dir, trained=trained, standardization=stats),
        "history.csv": encode_text(history_csv(trainer.history())),  # with η at each evaluation
        "session.ffviz": session_writer(capture(trainer), view),
    }
    if args.plots:
        files.update(_plots(trainer, view))
    # All files are replaced together or not at all, so a folder never holds weights of one run beside the
    # history or session of another.
    write_run(out, files)
    where = shown_path(out)
    if diverged is not None:
        print(f"ffviz: training diverged ({diverged.reason}); wrote the weights of step {trainer.step_count}, "
              f"the last at which the loss was still going down, to {where}", file=sys.stderr)
        return EXIT_DIVERGED
    if interrupted:
        print(f"ffviz: interrupted after {done} of {args.steps} updates; wrote the weights, history and "
              f"session so far to {where}", file=sys.stderr)
        return EXIT_INTERRUPTED
    acc = "" if not math.isfinite(ev.train_accuracy) else f", train accuracy {ev.train_accuracy:.1%}"
    written = "weights.json, weights.npz, history.csv, session.ffviz and " \
        f"{len(files) - 4} pictures" if args.plots else "weights.json, weights.npz, history.csv and session.ffviz"
    upto = f" (to update {trainer.step_count})" if trainer.step_count != done else ""
    print(f"trained {done} updates{upto}: train loss {ev.train_loss:.6g}{acc}; wrote {written} to {where}")
    return 0


def _plots(trainer, view: dict, width=None, scale=None) -> dict:
    """{file name: bytes}: every view of the window, drawn offscreen from the run now, as PNG and SVG."""
    from ffviz.ui import offscreen
    offscreen.application(headless=True)
    views = offscreen.make_views()
    try:
        offscreen.show(views, trainer.snapshot(plane_resolution=offscreen.STILL_PLANE), view)
        return offscreen.still_files(views, width=width, scale=scale)
    finally:
        offscreen.close(views)


def _export(args) -> int:
    from ffviz.engine.session_state import restore
    from ffviz.ui import offscreen
    from ffviz.errors import shown_path
    from ffviz.io.files import ensure_folder, write_run
    from ffviz.io.session import load_session

    session = load_session(args.session)
    trainer = restore(session.run)
    offscreen.application(headless=True)
    if args.width is not None and args.scale is not None:
        raise FfvizError("give --width or --scale, not both")
    files = {}
    animate = args.animate is not None
    if animate:
        from ffviz.ui import animation
        from ffviz.ui.offscreen import export_name
        key = args.view or ("boundary" if trainer.dataset.raw_train is not None else "network")
        name = export_name(key)  # an unknown view is refused now, before anything is drawn
        width = args.frame_width or animation.DEFAULT_WIDTH
        animation.check(args.animate, args.stride, width)
    out = ensure_folder(args.out)
    files.update(_plots(trainer, session.view, args.width, args.scale))
    if animate:
        frames = animation.record(restore(session.run), key, args.animate, stride=args.stride, width=width,
                                  settings=session.view)
        formats = ("gif", "apng") if args.format == "both" else (args.format,)
        for fmt in formats:
            files[f"{name}-animation.{'gif' if fmt == 'gif' else 'png'}"] = animation.encode(frames, fmt)
    write_run(out, files)
    extra = f", and {len(frames)} frames of {key}" if animate else ""
    print(f"drew the session at update {trainer.step_count}: {len(files)} files{extra} in {shown_path(out)}")
    return 0


def _explain(args) -> int:
    from ffviz.engine.trainer import Trainer
    from ffviz.explain import explain
    from ffviz.io.files import load_spec
    from ffviz.ui import format as fmt

    if not 0 <= args.steps <= 10_000_000:
        raise FfvizError(f"--steps must be from 0 to 10,000,000, not {args.steps}")
    cfg, base_dir = load_spec(args.spec)
    trainer = Trainer(cfg, base_dir=base_dir)
    layer, kind, index = trainer.layout.locate(trainer.layout.position(args.weight))
    done = trainer.step(args.steps)
    if done < args.steps:
        raise FfvizError(f"training diverged at update {trainer.step_count}: {trainer.diverged.reason}")
    precision = {"3": fmt.SIG3, "slides": fmt.SLIDES, "full": fmt.FULL}[args.digits]
    sys.stdout.write(explain(trainer, layer, kind, index, args.format, precision))
    return 0


def _presets() -> int:
    from ffviz.engine.presets import DEFAULT_PRESET, preset_description, preset_names
    width = max(len(n) for n in preset_names())
    for name in preset_names():
        mark = " (default)" if name == DEFAULT_PRESET else ""
        print(f"{name:<{width}}  {preset_description(name)}{mark}")
    return 0


def _gui(args) -> int:
    from ffviz.io.files import load_spec
    scale = args.font_scale
    if scale is not None and not (math.isfinite(scale) and 0.6 <= scale <= 3.0):
        raise FfvizError(f"--font-scale must be from 0.6 to 3, not {scale:g}")
    from ffviz.io.session import load_session, looks_like_session
    error = session = None
    try:
        if args.spec and looks_like_session(args.spec):
            load_session(args.spec)  # refused here, in the terminal, as any other spec would be
            cfg, base_dir, session = None, None, args.spec
        else:
            cfg, base_dir = load_spec(args.spec) if args.spec else (None, None)
    except FfvizError as exc:
        # In a terminal, say it there and stop. Started from a desktop menu (the desktop entry passes
        # --errors-in-window; nobody reads its stderr), open the window on the default preset and say it there.
        if sys.stderr is None or args.errors_in_window:
            cfg, base_dir, error = None, None, str(exc)
            if sys.stderr is not None:
                print(f"ffviz: {exc}", file=sys.stderr)
        else:
            raise
    from ffviz.ui.app import run_app
    return run_app(cfg, base_dir, theme=args.theme, font_scale=scale, startup_error=error, session=session)


def main(argv: list[str] | None = None) -> int:
    # A frozen app (packaging/ffviz.spec) starts its training process by running itself again: this makes
    # that run serve the process instead of opening a second window. Does nothing when not frozen.
    multiprocessing.freeze_support()
    argv = list(sys.argv[1:] if argv is None else argv)
    # OpenBLAS's worker threads spin after each product and take CPU from the GUI thread; ffviz's matrices
    # are too small to gain from them. Must be set before NumPy is first imported.
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    if argv[:1] == ["--smoke-test"]:  # for a built bundle; outside the parser, which knows only real commands
        from ffviz.smoke import run_smoke_test
        return run_smoke_test(argv[1:])
    # `ffviz FILE` and `ffviz PRESET` open the window, like `ffviz gui FILE`.
    if argv and argv[0] not in ("gui", "train", "explain", "surface", "export", "presets",
                                "-h", "--help", "--version"):
        argv = ["gui"] + argv
    try:
        args = build_parser().parse_args(argv)
        if args.command == "train":
            return _train(args)
        if args.command == "explain":
            return _explain(args)
        if args.command == "surface":
            from ffviz.surface_command import surface_command
            return surface_command(args)
        if args.command == "export":
            return _export(args)
        if args.command == "presets":
            return _presets()
        if args.command is None:
            args = build_parser().parse_args(["gui"])
        return _gui(args)
    except FfvizError as exc:
        print(f"ffviz: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except Exception as exc:  # no traceback reaches a user; FFVIZ_DEBUG=1 shows it to developers
        if os.environ.get("FFVIZ_DEBUG"):
            raise
        detail = " ".join(str(exc).split())  # one line, whatever the exception's text looks like
        print(f"ffviz: internal error: {type(exc).__name__}: {detail} (run with FFVIZ_DEBUG=1 for details)",
              file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
