"""The one number formatter and parser: what is shown reads back as the value, and what people type is read."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ffviz.errors import FfvizError
from ffviz.ui import format as fmt


def test_parse_accepts_what_people_type():
    assert fmt.parse(" −1.5 ") == -1.5
    assert fmt.parse("2,25") == 2.25
    assert fmt.parse("1e-3") == 0.001
    assert fmt.parse("1 000.5") == 1000.5


@pytest.mark.parametrize("text", ["1,000.5", "-inf", "nan", "abc", "", "1e999"])
def test_parse_refuses_in_one_line_naming_what_was_wanted(text):
    with pytest.raises(FfvizError) as err:
        fmt.parse(text, "the learning rate")
    assert "the learning rate" in str(err.value) and "\n" not in str(err.value)


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_full_precision_reads_back_exactly(v):
    assert fmt.parse(fmt.number(v, fmt.FULL)) == v


@given(st.floats(min_value=-1e6, max_value=1e6, allow_nan=False))
def test_three_significant_digits_are_within_half_a_unit_of_the_third(v):
    shown = fmt.parse(fmt.number(v))
    assert math.isclose(shown, v, rel_tol=5e-3, abs_tol=1e-300)


def test_the_slides_style_and_the_signs():
    assert fmt.number(0.12184, fmt.SLIDES) == "0.12" and fmt.number(0.0595, fmt.SIG3) == "0.0595"
    assert fmt.number(-0.5, fmt.SIG3) == "−0.500" and fmt.signed(0.25) == "+0.250" and fmt.number(1.0) == "1"
    assert fmt.number(0.29046) == "0.290"  # 3 significant digits, the zero kept
    assert fmt.number(0.001234, fmt.SLIDES) == "1.2e−03" and fmt.number(0.006, fmt.SLIDES) == "0.01"
    assert fmt.number(0.0001234, fmt.SLIDES) == "1.2e−04"  # 0.00 would hide the number
    assert fmt.number(None) == "—" and fmt.number(float("nan")) == "NaN" and fmt.number(float("-inf")) == "−∞"
    assert fmt.fixed(-0.1234, 3, sign=True) == "−0.123" and fmt.fixed(1.2e-5, 3, sign=True) == "+1.20e−05"
    assert fmt.percent(0.934) == "93.4 %" and fmt.percent(float("nan")) == "—"
    assert fmt.plain(0.00001) == "0.00001" and fmt.plain(1.0) == "1"
