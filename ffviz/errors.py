"""The one error type users see: a problem with their input, said in one line; and how to quote input in it."""

from __future__ import annotations

import os
import reprlib

QUOTE_LIMIT = 80  # characters of a bad value or name a message quotes: enough to recognise it, never a screenful
MESSAGE_LIMIT = 1000  # a backstop: no message is longer, whatever a caller put in it


class FfvizError(ValueError):
    """Bad user input (a file, a value, a setting); its message is one line meant for a person."""

    def __init__(self, message: str):
        # One line, always: callers print str(err) as is. A lone surrogate (from a file name that is not
        # UTF-8, or a "\ud800" in a JSON string) cannot be printed: it is shown as its escape instead.
        text = " ".join(str(message).split()).encode("utf-8", "backslashreplace").decode("utf-8")
        super().__init__(_cut(text, MESSAGE_LIMIT))


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def shown(text, limit: int = QUOTE_LIMIT) -> str:
    """A string's characters fit for a one-line message (no quotes added): control characters and lone
    surrogates escaped, long text cut to `limit` characters."""
    text = str(text)
    escaped = repr(text[: limit + 1])[1:-1]  # cut first: repr of a 100 MB string would take a while
    return _cut(escaped, limit)


def shown_path(path, limit: int = QUOTE_LIMIT) -> str:
    """A file name or path for a message: escaped as `shown`, but a long one keeps its end (the file name)."""
    try:
        text = os.fsdecode(path) if isinstance(path, (bytes, os.PathLike)) else str(path)
    except (TypeError, ValueError):
        text = str(path)
    escaped = repr(text[-(limit + 1):])[1:-1]
    return escaped if len(escaped) <= limit else "…" + escaped[-(limit - 1):]


class _ShortRepr(reprlib.Repr):
    def repr_int(self, x, level):
        # repr() of an int of more than 4300 digits raises ValueError; a JSON file can hold one
        if x.bit_length() > 128:
            return f"a whole number of {len(str(abs(x))) if x.bit_length() < 14000 else 'thousands of'} digits"
        return repr(x)


_REPR = _ShortRepr()
_REPR.maxlevel = 2
_REPR.maxlist = _REPR.maxtuple = _REPR.maxdict = _REPR.maxset = 4
_REPR.maxstring = _REPR.maxother = QUOTE_LIMIT


def short_repr(value, limit: int = QUOTE_LIMIT) -> str:
    """A value as Python shows it (strings quoted, lists bracketed), cut to at most `limit` characters."""
    try:
        text = _REPR.repr(value)
    except (ValueError, RecursionError):
        text = f"a {type(value).__name__}"
    return _cut(text, limit)
