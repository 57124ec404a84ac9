"""Read a CSV table: a header line of column names, then one sample per line; numeric inputs, and a label
column of numbers or of class names (text).

Every problem becomes one FfvizError line naming the file, the line as a text editor numbers it (the header is
line 1) and the column, so a person can go and fix it. Nothing here imports Qt.
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import math
import os
from array import array
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np

from ffviz.engine.datasets import MAX_CLASSES, MAX_SAMPLES
from ffviz.errors import FfvizError, shown, shown_path
from ffviz.io.reading import encodable, read_regular_file

MAX_BYTES = 100 * 1024 * 1024  # refuse larger files: parsing them would freeze the app for minutes
MAX_ROWS = MAX_SAMPLES  # as many samples as a built-in dataset may have


@dataclass(frozen=True, eq=False)  # eq=False: arrays have no single truth value
class CsvTable:
    """The input columns x (n, d), the label column y (n, 1), and their names from the header.

    Text labels are classes: `class_names` holds them sorted, and y the index of each row's name in it.
    Numeric labels leave `class_names` empty.
    """

    x: np.ndarray
    y: np.ndarray
    input_names: tuple[str, ...]
    label_name: str
    class_names: tuple[str, ...] = ()


def read_csv_table(path: str | os.PathLike, label: str | None = None) -> CsvTable:
    """Read a CSV with a header and numeric cells; the label is the column named `label`, else the last one."""
    path = Path(encodable(path, "CSV file name"))
    name = shown_path(path.name or str(path))
    text = _decode(_read_bytes(path, name), name)
    records = _records(text, name)
    first = next(records, None)
    if first is None:  # nothing but blank lines and empty cells
        raise FfvizError(f"{name} is empty")
    header_line, header = first
    columns = _columns(header, header_line, name)
    label_at = _label_index(columns, label, name)
    x, y, class_names = _rows(records, columns, label_at, name)
    inputs = [i for i in range(len(columns)) if i != label_at]
    return CsvTable(x=x, y=y, input_names=tuple(columns[i] for i in inputs), label_name=columns[label_at],
                    class_names=class_names)


def preview_rows(path: str | os.PathLike, n: int) -> list[list[str]]:
    """The first `n` records of a CSV file that are not blank, the header first, cells stripped (for a preview;
    problems of the file are one FfvizError line, as when reading it)."""
    path = Path(encodable(path, "CSV file name"))
    name = shown_path(path.name or str(path))
    records = _records(_decode(_read_bytes(path, name), name), name)
    return [[cell.strip() for cell in row] for _, row in itertools.islice(records, n)]


def _read_bytes(path: Path, name: str) -> bytes:
    """The file's bytes: a regular file of at most MAX_BYTES, else one line saying why not."""
    return read_regular_file(path, limit=MAX_BYTES, kind="CSV file", name=name)


def _decode(data: bytes, name: str) -> str:
    """UTF-8 text; a byte-order mark (Excel's "CSV UTF-8") is dropped."""
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8):]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = data[: exc.start].decode("utf-8")
        line = len(io.StringIO(before + "x", newline="").readlines())  # "x": count the line the bad byte is on
        raise FfvizError(f"{name} line {line} is not UTF-8 text (byte 0x{data[exc.start]:02x}); "
                         f"save the file as UTF-8 CSV") from None


def _delimiter(text: str) -> str:
    """Comma, unless the header has none but a semicolon or tab (spreadsheets in some locales write those)."""
    header = next((line for line in io.StringIO(text, newline="") if line.strip()), "")  # lazy: files can be big
    for candidate in (",", ";", "\t"):
        if candidate in header:
            return candidate
    return ","


def _records(text: str, name: str) -> Iterator[tuple[int, list[str]]]:
    """(line number, cells) for each record that is not blank; blank lines and rows of empty cells are skipped."""
    # skipinitialspace: `a, "b"` is the quoted name b, as people write it by hand
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text), skipinitialspace=True)
    while True:
        line = reader.line_num + 1  # the record about to be read starts on the next physical line
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise FfvizError(f"{name} line {line} cannot be read as CSV: {exc}") from None
        if any(cell.strip() for cell in row):
            yield line, row


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _columns(header: list[str], line: int, name: str) -> tuple[str, ...]:
    """Column names from the header record, checked: at least 2, all named, none twice, not all numbers."""
    columns = tuple(cell.strip() for cell in header)
    if len(columns) < 2:
        raise FfvizError(f'{name} has 1 column ("{shown(columns[0])}"); it needs at least 2: '
                         f"one or more inputs and a label")
    if all(_is_number(c) for c in columns):
        raise FfvizError(f"{name} line {line} holds numbers, but the first line must name the columns "
                         f"(a header such as x1,x2,label)")
    seen = set()
    for i, col in enumerate(columns, start=1):
        if not col:
            raise FfvizError(f"{name} line {line}: column {i} has no name; the header must name every column")
        if col in seen:
            raise FfvizError(f'{name} line {line}: column "{shown(col)}" appears twice; names must be unique')
        seen.add(col)
    return columns


def _label_index(columns: tuple[str, ...], label: str | None, name: str) -> int:
    """Where the label column is: the one named `label`, else the last."""
    if label is None:
        return len(columns) - 1
    wanted = str(label).strip()
    if wanted not in columns:
        listed = ", ".join(f'"{shown(c, 30)}"' for c in columns[:8]) + (", …" if len(columns) > 8 else "")
        raise FfvizError(f'{name} has no column "{shown(wanted)}" for the label; its columns are: {listed}')
    return columns.index(wanted)


def _rows(records: Iterator[tuple[int, list[str]]], columns: tuple[str, ...], label_at: int, name: str):
    """The data records as inputs x (n, d) float64, labels y (n, 1) and the class names of text labels.

    The first row's label decides the column's kind: a number, or text (a class name); a later label of the
    other kind is an error, since a typo in a numeric column would otherwise become a class of its own.
    """
    inputs = [i for i in range(len(columns)) if i != label_at]
    label_col = f'column "{shown(columns[label_at])}"'
    values = array("d")  # 8 bytes a number, where lists of Python floats would take 32
    numeric_labels = array("d")
    codes = array("l")
    classes: dict[str, int] = {}
    text_labels = None
    rows = 0
    for line, row in records:
        if len(row) != len(columns):
            raise FfvizError(f"{name} line {line} has {len(row)} values but the header names "
                             f"{len(columns)} columns")
        if rows == MAX_ROWS:
            raise FfvizError(f"{name} has more than {MAX_ROWS:,} data rows; ffviz reads at most {MAX_ROWS:,}")
        try:
            numbers = [float(row[i]) for i in inputs]  # float() allows surrounding whitespace
        except ValueError:
            numbers = []
        if len(numbers) != len(inputs) or not all(map(math.isfinite, numbers)):
            _raise_bad_cell([row[i] for i in inputs], [columns[i] for i in inputs], line, name)
        cell = row[label_at].strip()
        where = f"{name} line {line}, {label_col}"
        if not cell:
            raise FfvizError(f"{where} is empty")
        if text_labels is None:
            text_labels = not _is_number(cell)
        if text_labels:
            if _is_number(cell):
                raise FfvizError(f'{where}: "{shown(cell)}" is a number, but the labels above it are text; '
                                 f"a label column holds numbers or class names, not both")
            codes.append(classes.setdefault(cell, len(classes)))
            if len(classes) > MAX_CLASSES:
                raise FfvizError(f"{name} {label_col} holds more than {MAX_CLASSES} different labels (at line "
                                 f"{line}); text labels are classes, and ffviz tells at most {MAX_CLASSES} apart")
        else:
            if not _is_number(cell):
                raise FfvizError(f'{where}: "{shown(cell)}" is not a number, but the labels above it are; '
                                 f"a label column holds numbers or class names, not both")
            value = float(cell)
            if not math.isfinite(value):
                raise FfvizError(f'{where}: "{shown(cell)}" is not a finite number')
            numeric_labels.append(value)
        values.extend(numbers)
        rows += 1
    if rows == 0:
        raise FfvizError(f"{name} has a header line but no data rows")
    x = np.frombuffer(values, dtype=np.float64).reshape(rows, len(inputs)).copy()
    if not text_labels:
        return x, np.frombuffer(numeric_labels, dtype=np.float64).reshape(rows, 1).copy(), ()
    names = tuple(sorted(classes))
    rank = np.array([names.index(c) for c in classes], dtype=np.float64)  # first-seen code → sorted index
    return x, rank[np.frombuffer(codes, dtype=codes.typecode)].reshape(rows, 1), names


def _raise_bad_cell(row: list[str], columns: list[str], line: int, name: str):
    """Say which input cell of a bad row is not a finite number."""
    for col, cell in zip(columns, row):
        where = f'{name} line {line}, column "{shown(col)}"'
        text = cell.strip()
        if not text:
            raise FfvizError(f"{where} is empty")
        if not _is_number(text):
            raise FfvizError(f'{where}: "{shown(text)}" is not a number')
        if not math.isfinite(float(text)):
            raise FfvizError(f'{where}: "{shown(text)}" is not a finite number')
    raise FfvizError(f"{name} line {line} holds a value that is not a number")  # pragma: no cover - unreachable
