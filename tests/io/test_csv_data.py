"""CSV import: good files load exactly; every bad file gives one line naming the file, line and column."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ffviz.errors import FfvizError
from ffviz.io import csv_data
from ffviz.io.csv_data import CsvTable, read_csv_table


@pytest.fixture
def write(tmp_path):
    """Write text (or bytes) to data.csv in a fresh folder and return its path."""
    def _write(content, name="data.csv"):
        path = tmp_path / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8", newline="")
        return path
    return _write


def error_of(path, label=None) -> str:
    with pytest.raises(FfvizError) as err:
        read_csv_table(path, label)
    message = str(err.value)
    assert "\n" not in message
    return message


# ---------------------------------------------------------------- files that load

def test_reads_inputs_and_the_last_column_as_label(write):
    table = read_csv_table(write("x1,x2,label\n1,2,0\n3.5,-4e-1,1\n"))
    assert isinstance(table, CsvTable)
    assert table.input_names == ("x1", "x2") and table.label_name == "label"
    np.testing.assert_array_equal(table.x, [[1, 2], [3.5, -0.4]])
    np.testing.assert_array_equal(table.y, [[0], [1]])
    assert table.x.dtype == table.y.dtype == np.float64


def test_label_can_be_any_named_column(write):
    table = read_csv_table(write("y,a,b\n0.5,1,2\n"), label="y")
    assert table.input_names == ("a", "b") and table.label_name == "y"
    np.testing.assert_array_equal(table.x, [[1, 2]])
    np.testing.assert_array_equal(table.y, [[0.5]])


def test_whitespace_blank_lines_bom_crlf_and_quotes_are_fine(write):
    content = '\ufeff "a" , b ,c\r\n 1 , 2,3\r\n\r\n"4", 5 ,6\r\n,,\r\n\r\n   \r\n'
    table = read_csv_table(write(content), label="c")
    assert table.input_names == ("a", "b")
    np.testing.assert_array_equal(table.x, [[1, 2], [4, 5]])
    np.testing.assert_array_equal(table.y, [[3], [6]])


def test_semicolon_and_tab_separated_files_are_read(write):
    np.testing.assert_array_equal(read_csv_table(write("a;b\n1;2\n")).x, [[1]])
    np.testing.assert_array_equal(read_csv_table(write("a\tb\n1\t2\n")).y, [[2]])


def test_a_file_with_only_line_feeds_or_only_returns(write):
    assert read_csv_table(write("a,b\r1,2\r3,4\r")).x.tolist() == [[1], [3]]


# ---------------------------------------------------------------- each problem named with line and column

@pytest.mark.parametrize("content, message", [
    ("x1,x2,y\n1,2,0\n1,abc,1\n", 'data.csv line 3, column "x2": "abc" is not a number'),
    ("x1,x2,y\n1,2,0\n\n\n1,2,one\n", 'data.csv line 5, column "y": "one" is not a number'),
    ("x1,x2,y\n1, ,0\n", 'data.csv line 2, column "x2" is empty'),
    ("x1,x2,y\n1,nan,0\n", 'data.csv line 2, column "x2": "nan" is not a finite number'),
    ("x1,x2,y\n-inf,1,0\n", 'data.csv line 2, column "x1": "-inf" is not a finite number'),
    ("x1,x2,y\n1e999,1,0\n", 'data.csv line 2, column "x1": "1e999" is not a finite number'),
    ("x1,x2,y\n1,2,0\n1,2\n", "data.csv line 3 has 2 values but the header names 3 columns"),
    ("x1,x2,y\n1,2,0,4\n", "data.csv line 2 has 4 values but the header names 3 columns"),
    ("x1,x2,x1\n1,2,0\n", 'data.csv line 1: column "x1" appears twice'),
    ("x1,,y\n1,2,0\n", "data.csv line 1: column 2 has no name"),
    ("\n\nx1,x2,y\n1,x,0\n", 'data.csv line 4, column "x2": "x" is not a number'),
    ("1,2,0\n3,4,1\n", "data.csv line 1 holds numbers, but the first line must name the columns"),
    ("only\n1\n2\n", 'data.csv has 1 column ("only"); it needs at least 2'),
    ("x1,x2,y\n", "data.csv has a header line but no data rows"),
    ("x1,x2,y\n\n ,, \n", "data.csv has a header line but no data rows"),
    ("", "data.csv is empty"),
    ("\n \n\n", "data.csv is empty"),
    ("x1,x2,y\n1,\x002,0\n", 'data.csv line 2, column "x2": "\\x002" is not a number'),
])
def test_bad_file_names_the_line_and_column(write, content, message):
    assert error_of(write(content)).startswith(message)


def test_bad_cell_message_is_exact(write):
    path = write("x1,x2,y\n" + "1,2,0\n" * 5 + "1,abc,1\n")
    assert error_of(path) == 'data.csv line 7, column "x2": "abc" is not a number'


def test_missing_label_lists_the_columns(write):
    assert error_of(write("x1,x2,cls\n1,2,0\n"), label="label") == \
        'data.csv has no column "label" for the label; its columns are: "x1", "x2", "cls"'


def test_non_utf8_bytes_name_the_line(write):
    path = write(b"x1,x2,y\n1,2,0\n1,\xe92,0\n")
    assert error_of(path) == "data.csv line 3 is not UTF-8 text (byte 0xe9); save the file as UTF-8 CSV"


def test_missing_file_and_folder(tmp_path):
    assert error_of(tmp_path / "nope.csv").startswith("CSV file not found: ")
    assert "nope.csv" in error_of(tmp_path / "nope.csv")
    assert error_of(tmp_path) == f"{tmp_path.name} is a folder, not a CSV file"


def test_files_over_the_limit_are_refused_before_reading(write, monkeypatch):
    path = write("x1,x2,y\n" + "1,2,0\n" * 100)
    monkeypatch.setattr(csv_data, "MAX_BYTES", 300)
    assert error_of(path) == "data.csv is 608 bytes: larger than the 300 bytes ffviz reads in a CSV file"
    monkeypatch.undo()
    assert read_csv_table(path).x.shape == (100, 2)


def test_the_real_limit_is_100_megabytes(tmp_path):
    path = tmp_path / "big.csv"
    with open(path, "wb") as f:  # sparse: no 100 MB written to disk
        f.truncate(100 * 2**20 + 1)
    assert error_of(path) == "big.csv is 100 MiB: larger than the 100 MiB ffviz reads in a CSV file"


def test_quoted_header_with_a_line_break_counts_lines_and_escapes_the_name(write):
    message = error_of(write('"a\nb",c\nx,1\n'))
    assert message == 'data.csv line 3, column "a\\nb": "x" is not a number'


# ---------------------------------------------------------------- properties

finite = st.floats(allow_nan=False, allow_infinity=False, width=64)


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.integers(1, 5).flatmap(lambda d: st.lists(st.lists(finite, min_size=d + 1, max_size=d + 1),
                                                     min_size=1, max_size=20)),
       st.sampled_from([",", ";"]), st.sampled_from(["", " ", "  \t"]))
def test_any_finite_table_reads_back_exactly(write, rows, sep, pad):
    width = len(rows[0])
    header = sep.join(f"c{j}" for j in range(width))
    lines = [sep.join(f"{pad}{v!r}{pad}" for v in row) for row in rows]
    table = read_csv_table(write(header + "\n" + "\n".join(lines) + "\n\n"))
    data = np.array(rows)
    np.testing.assert_array_equal(table.x, data[:, :-1])
    np.testing.assert_array_equal(table.y, data[:, -1:])
    assert table.input_names == tuple(f"c{j}" for j in range(width - 1))


def check_one_line_or_table(path, label):
    try:
        table = read_csv_table(path, label)
    except FfvizError as err:
        assert "\n" not in str(err) and str(err)
    else:
        assert table.x.shape[0] == table.y.shape[0] >= 1 and table.y.shape[1] == 1
        assert np.isfinite(table.x).all() and np.isfinite(table.y).all()
        assert table.x.shape[1] == len(table.input_names) >= 1


csv_like_text = st.lists(st.one_of(
    st.text(alphabet=st.sampled_from(list(",;\t \n\r\"'.-+e0123456789naifx_\x00\u2028é")), max_size=30),
    st.sampled_from(["x1,x2,y", "1,2,0", "nan", "inf", "\ufeff", ",,", "\n\n", '"', '"a\nb"'])),
    max_size=12).map("".join)


@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.one_of(st.text(), csv_like_text), st.one_of(st.none(), st.text(max_size=5), st.just("y")))
def test_random_text_gives_a_table_or_one_error_line(write, text, label):
    check_one_line_or_table(write(text.encode("utf-8", "surrogatepass")), label)


@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=200))
def test_random_bytes_give_a_table_or_one_error_line(write, data):
    check_one_line_or_table(write(b"x1,x2,y\n" + data), None)
    check_one_line_or_table(write(data), None)


def test_finite_check_covers_every_cell(write):
    # Guard against a fast path that skips columns: a bad value in the last column of a late row.
    rows = "\n".join("1,2,3" for _ in range(50))
    assert error_of(write("a,b,c\n" + rows + "\n1,2,nan\n")) == \
        'data.csv line 52, column "c": "nan" is not a finite number'


def test_a_huge_cell_is_an_error_not_a_crash(write):
    message = error_of(write("a,b\n1," + "9" * 200_000 + "\n"))
    assert message.startswith("data.csv line 2 cannot be read as CSV: field larger than field limit")


# ---------------------------------------------------------------- text labels

def test_text_labels_are_class_names_sorted(write):
    table = read_csv_table(write("a,b,kind\n1,2,dog\n3,4,cat\n5,6,dog\n7,8,emu\n"))
    assert table.class_names == ("cat", "dog", "emu")
    np.testing.assert_array_equal(table.y[:, 0], [1, 0, 1, 2])
    np.testing.assert_array_equal(table.x, [[1, 2], [3, 4], [5, 6], [7, 8]])


def test_numeric_labels_have_no_class_names(write):
    assert read_csv_table(write("a,b\n1,0\n2,1\n")).class_names == ()


def test_the_standard_iris_file_reads_with_its_species():
    from pathlib import Path
    table = read_csv_table(Path(__file__).parent / "data" / "iris.csv")
    assert table.x.shape == (150, 4) and table.label_name == "species"
    assert table.input_names == ("sepal_length", "sepal_width", "petal_length", "petal_width")
    assert table.class_names == ("setosa", "versicolor", "virginica")
    assert np.bincount(table.y[:, 0].astype(int)).tolist() == [50, 50, 50]
    assert table.x[0].tolist() == [5.1, 3.5, 1.4, 0.2] and table.y[0, 0] == 0  # the first row is a setosa


@pytest.mark.parametrize("content, message", [
    ("a,b\n1,cat\n2,3\n", 'data.csv line 3, column "b": "3" is a number, but the labels above it are text'),
    ("a,b\n1,0\n2,one\n", 'data.csv line 3, column "b": "one" is not a number, but the labels above it are'),
    ("a,b\n1,cat\n2,\n", 'data.csv line 3, column "b" is empty'),
    ("a,b\n1,cat\nx,dog\n", 'data.csv line 3, column "a": "x" is not a number'),
    ("a,b\n" + "".join(f"{i},c{i}\n" for i in range(17)),
     'data.csv column "b" holds more than 16 different labels (at line 18)'),
])
def test_bad_labels_name_the_line(write, content, message):
    assert error_of(write(content)).startswith(message)


def test_a_long_bad_cell_is_quoted_short(write):
    message = error_of(write("a,b\n" + "x" * 5000 + ",1\n"))
    assert message.startswith('data.csv line 2, column "a": "xxxx') and len(message) < 150
