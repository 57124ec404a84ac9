"""`ffviz` on the command line: the app, and everything it produces, headless.

    ffviz [SPEC]                              open the window on a preset or network file
    ffviz train SPEC --steps N --out DIR      train headless; write DIR/weights.json and DIR/history.csv
    ffviz surface SPEC --weights A B --out DIR   train headless; write the loss surface DIR/surface.npz
    ffviz presets                             list the presets
"""

from __future__ import annotations

import argparse
import math
import multiprocessing
import os
import signal
import sys
import threading
from pathlib import Path

from ffviz import __version__
from ffviz.errors import FfvizError

EXIT_USAGE = 2
EXIT_DIVERGED = 3
EXIT_INTERRUPTED = 130  # the shell's status for Ctrl+C
CHUNK = 64  # updates between two looks at Ctrl+C while training headless


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line (no usage dump) and exit status 2."""

    def error(self, message):
        raise FfvizError(f"{message} (see ffviz --help)")


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="ffviz", description="See and drive the theory of feed-forward neural networks.")
    p.add_argument("--version", action="version", version=f"ffviz {__version__}")
    sub = p.add_subparsers(dest="command", parser_class=_Parser)

    gui = sub.add_parser("gui", help="open the window (the default command)")
    gui.add_argument("spec", nargs="?", default=None, help="a preset name or a network file (default: circle)")

    train = sub.add_parser("train", help="train headless and write weights.json and history.csv")
    train.add_argument("spec", help="a preset name (see `ffviz presets`) or a network file (JSON)")
    train.add_argument("--steps", type=int, required=True, help="number of updates to run")
    train.add_argument("--out", required=True, help="folder to write weights.json and history.csv into")
    train.add_argument("--eval-every", type=int, default=1,
                       help="evaluate train/test loss every K updates (default 1: every update)")
    train.add_argument("--learning-rate", type=float, default=None, help="override the spec's learning rate")
    train.add_argument("--seed", type=int, default=None, help="override the spec's seed")

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
    from ffviz.engine.trainer import Trainer
    from ffviz.io.files import load_spec, save_network_file, write_history_csv

    if args.steps < 0:
        raise FfvizError(f"--steps must be 0 or more, not {args.steps}")
    if args.eval_every < 1:
        raise FfvizError(f"--eval-every must be 1 or more, not {args.eval_every}")
    cfg, base_dir = load_spec(args.spec)
    if args.seed is not None:
        cfg = validate(replace(cfg, seed=args.seed))
    trainer = Trainer(cfg, base_dir=base_dir)  # bad data fails here, before anything is written
    if args.learning_rate is not None:
        trainer.set_learning_rate(args.learning_rate)
    out = Path(args.out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise FfvizError(f"cannot create the output folder {out}: {exc.strerror or exc}") from None
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
    save_network_file(out / "weights.json", trainer.config, trainer.kernels, trainer.biases, base_dir, trained)
    write_history_csv(out / "history.csv", trainer.history())
    if diverged is not None:
        print(f"ffviz: training diverged ({diverged.reason}); wrote the last finite weights, "
              f"from step {trainer.step_count}, to {out}", file=sys.stderr)
        return EXIT_DIVERGED
    if interrupted:
        print(f"ffviz: interrupted after {trainer.step_count} of {args.steps} updates; wrote the weights and "
              f"history so far to {out}", file=sys.stderr)
        return EXIT_INTERRUPTED
    acc = "" if not math.isfinite(ev.train_accuracy) else f", train accuracy {ev.train_accuracy:.1%}"
    print(f"trained {trainer.step_count} updates: train loss {ev.train_loss:.6g}{acc}; "
          f"wrote {out / 'weights.json'} and {out / 'history.csv'}")
    return 0


def _presets() -> int:
    from ffviz.engine.presets import DEFAULT_PRESET, preset_description, preset_names
    width = max(len(n) for n in preset_names())
    for name in preset_names():
        mark = " (default)" if name == DEFAULT_PRESET else ""
        print(f"{name:<{width}}  {preset_description(name)}{mark}")
    return 0


def _gui(spec: str | None) -> int:
    from ffviz.io.files import load_spec
    cfg, base_dir = load_spec(spec) if spec else (None, None)  # a bad spec fails here, before any window
    from ffviz.ui.app import run_app
    return run_app(cfg, base_dir)


def main(argv: list[str] | None = None) -> int:
    # A frozen app (packaging/ffviz.spec) starts its training process by running itself again: this makes
    # that run serve the process instead of opening a second window. Does nothing when not frozen.
    multiprocessing.freeze_support()
    argv = list(sys.argv[1:] if argv is None else argv)
    # OpenBLAS's worker threads spin after each product and take CPU from the GUI thread; ffviz's matrices
    # are too small to gain from them. Must be set before NumPy is first imported.
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    # `ffviz FILE` and `ffviz PRESET` open the window, like `ffviz gui FILE`.
    if argv and argv[0] not in ("gui", "train", "surface", "presets", "-h", "--help", "--version"):
        argv = ["gui"] + argv
    try:
        args = build_parser().parse_args(argv)
        if args.command == "train":
            return _train(args)
        if args.command == "surface":
            from ffviz.surface_command import surface_command
            return surface_command(args)
        if args.command == "presets":
            return _presets()
        return _gui(getattr(args, "spec", None))
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
