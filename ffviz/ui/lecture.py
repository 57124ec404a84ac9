"""Lecture mode's settings, shared by the diagram, the formula strip and the chain-rule panel: how many digits
numbers are shown with, the quiz (each new number "?" until revealed), which sample of a batch the numbers are
of, and whether training runs free (then no phase numbers: they would change faster than anyone reads)."""

from __future__ import annotations

from dataclasses import dataclass, replace

from ffviz.ui import format as fmt


def phase_key(snap) -> tuple | None:
    """Which phase a snapshot's numbers are of: (run, update, phase), None without any."""
    tr = snap.trace if snap is not None else None
    if tr is None or tr.last_phase is None:
        return None
    return (snap.run_id, tr.step, tr.last_phase)


@dataclass(frozen=True)
class LectureOptions:
    precision: fmt.Precision = fmt.SIG3
    quiz: bool = False
    revealed: tuple | None = None  # the phase_key whose numbers the quiz has revealed
    sample: int = 0  # of the update's batch
    playing: bool = False

    def hidden(self, snap) -> bool:
        """Whether `snap`'s newest numbers are to be shown as "?" (the quiz, not yet revealed)."""
        return self.quiz and phase_key(snap) is not None and phase_key(snap) != self.revealed

    def next_precision(self) -> "LectureOptions":
        order = fmt.PRECISIONS
        i = order.index(self.precision) if self.precision in order else -1
        return replace(self, precision=order[(i + 1) % len(order)])
