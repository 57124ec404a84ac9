"""The one way numbers are written on screen and read back from what a person types.

Every view formats through here, so a weight reads the same in the diagram, the plots, the status bar and the
chain-rule panel, and the lecture's precision switch (3 significant digits, 2 decimals as on the slides, full
precision) applies everywhere at once. Minus signs are typographic (−), which reads better from afar and is
what the parser accepts back along with '-'.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ffviz.errors import FfvizError

MINUS = "−"
_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


@dataclass(frozen=True)
class Precision:
    """How many digits a number is shown with: `digits` significant ones ("sig"), `digits` decimals
    ("decimals", the slides' style), or every digit a float has ("full")."""

    kind: str = "sig"
    digits: int = 3

    @property
    def label(self) -> str:
        if self.kind == "full":
            return "full precision"
        if self.kind == "decimals":
            return f"{self.digits} decimals, as on the slides"
        return f"{self.digits} significant digits"


SIG3 = Precision("sig", 3)
SIG4 = Precision("sig", 4)
SLIDES = Precision("decimals", 2)
FULL = Precision("full")
PRECISIONS = (SIG3, SLIDES, FULL)  # what the lecture's precision key cycles through


def _minus(text: str) -> str:
    return text.replace("-", MINUS)


def number(value, precision: Precision = SIG3, *, sign: bool = False, unknown: str = "—", nan: str = "NaN") -> str:
    """`value` as shown on screen; `unknown` for None, `nan` for NaN ("—" where NaN means "does not apply",
    as a test loss without a test set), infinities as ∞."""
    if value is None:
        return unknown
    v = float(value)
    if math.isnan(v):
        return nan
    if math.isinf(v):
        return ("+∞" if sign else "∞") if v > 0 else MINUS + "∞"
    plus = "+" if sign else ""
    if precision.kind == "full":
        text = repr(v)
        return _minus(text if not sign or v < 0 else "+" + text)
    if precision.kind == "decimals":
        if v != 0 and abs(v) < 0.5 * 10.0 ** -precision.digits:  # would show as 0.00: keep what is there
            return _minus(f"{v:{plus}.{max(1, precision.digits - 1)}e}")
        return _minus(f"{v:{plus}.{precision.digits}f}")
    if v == int(v) and abs(v) < 1e5:  # a whole number (η = 1, y = 0) reads best as it is
        return _minus(f"{int(v):{plus}d}")
    if 1e-3 <= abs(v) < 1e5:  # significant zeros kept: 0.290, as 3 digits of 0.29046
        return _minus(f"{v:{plus}#.{precision.digits}g}").rstrip(".")
    return _minus(f"{v:{plus}.{max(1, precision.digits - 1)}e}")


def signed(value, precision: Precision = SIG3) -> str:
    """A value with its sign always shown: +0.123, −1.20e-05."""
    return number(value, precision, sign=True)


def fixed(value, decimals: int = 3, *, sign: bool = False) -> str:
    """A value to a fixed number of decimals (e-notation where that would show nothing): for labels that
    should keep their width from frame to frame."""
    if value is not None and math.isfinite(float(value)) and float(value) != 0 and not 1e-3 <= abs(float(value)) < 1e4:
        return number(value, Precision("sig", 3), sign=sign)
    return number(value, Precision("decimals", decimals), sign=sign)


def percent(fraction, decimals: int = 1) -> str:
    """A share as a percentage: 0.934 → "93.4 %"."""
    if fraction is None or not math.isfinite(float(fraction)):
        return "—"
    return f"{100.0 * float(fraction):.{decimals}f} %"


def plain(value: float) -> str:
    """A number as a person types it: 0.00001 rather than 1e-05, 1 rather than 1.0 (for edit fields)."""
    v = float(value)
    if v == 0:
        return "0"
    if 1e-9 <= abs(v) < 1e7:
        import numpy as np
        return np.format_float_positional(v, trim="-")
    return f"{v:g}"


def power_of_ten(exponent: int, mantissa: float = 1.0) -> str:
    """m×10ᵏ with a superscript exponent (for log axes)."""
    power = f"10{str(int(exponent)).translate(_SUPERSCRIPT)}"
    return power if abs(mantissa - 1.0) < 1e-6 else f"{mantissa:.3g}×{power}"


def parse(text: str, what: str = "a value") -> float:
    """A finite number typed by a person: '−' or '-', a decimal comma, spaces as thousands separators.
    Anything else is a one-line FfvizError saying what `what` must be."""
    t = str(text).strip().replace(MINUS, "-").replace("\u2009", "").replace("\u202f", "").replace(" ", "")
    if "," in t and "." not in t:
        t = t.replace(",", ".")
    try:
        v = float(t)
    except ValueError:
        shown = text.strip() if len(text.strip()) <= 40 else text.strip()[:39] + "…"
        raise FfvizError(f"{what} must be a finite number (e.g. 0.25 or -1.5e-3), not “{shown}”") from None
    if not math.isfinite(v):
        raise FfvizError(f"{what} must be a finite number (e.g. 0.25 or -1.5e-3), not {text.strip()}")
    return v
