"""Reading a user's file safely: only a regular file, never more than a bound, every problem one line.

A path can name anything: a folder, a device (/dev/zero never ends, /dev/urandom neither), a named pipe (opening
one for reading waits for a writer: a hang), a socket, a file of 200 GB, or be a name the system refuses. The
file is opened without blocking and checked on the opened descriptor (fstat), so what is read is what was
checked, and it is read with a hard bound, so a file that grows while being read cannot exhaust memory.
"""

from __future__ import annotations

import errno
import os
import stat

from ffviz.engine.budget import format_bytes
from ffviz.errors import FfvizError, shown_path

_CHUNK = 1 << 20


class MissingFileError(FfvizError):
    """The path names nothing (a caller may say more, e.g. that it is not a preset either)."""


def _kind_of(mode: int) -> str | None:
    """What a non-regular file is, in words (None for a regular file)."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file"


def os_reason(exc: OSError) -> str:
    """An OSError in words a user can act on."""
    reasons = {
        errno.ENOENT: "no such file or folder",
        errno.EACCES: "Permission denied",  # the system's own words, known to everyone who has met them
        errno.EPERM: "Permission denied",
        errno.ENAMETOOLONG: "the name is too long for this system",
        errno.ELOOP: "too many symbolic links (a link that points to itself?)",
        errno.ENOTDIR: "a part of the path is not a folder",
        errno.EISDIR: "it is a folder",
        errno.ENOSPC: "no space left on the disk",
        errno.EDQUOT: "the disk quota is exceeded",
        errno.EROFS: "the file system is read-only",
        errno.ENXIO: "no such device (a socket or a device that is not there?)",
    }
    return reasons.get(exc.errno) or " ".join(str(exc.strerror or exc).split()).lower() or "cannot be used"


def encodable(path, what: str = "file name") -> str | bytes:
    """The path as the system will see it; a name that cannot be encoded (a lone surrogate such as '\\ud800')
    or that holds a NUL character is one FfvizError line instead of an exception from deep inside os."""
    try:
        path = os.fspath(path)
    except TypeError:
        raise FfvizError(f"a {what} must be text, not {type(path).__name__}") from None
    try:
        encoded = os.fsencode(path)
    except UnicodeError:
        raise FfvizError(f"the {what} {shown_path(path)} holds characters no file name can hold") from None
    if b"\0" in encoded:
        raise FfvizError(f"the {what} {shown_path(path)} holds a NUL character")
    return path


def read_regular_file(path, *, limit: int, kind: str, name: str | None = None) -> bytes:
    """The bytes of the regular file at `path`, at most `limit` of them; anything else is one FfvizError line.

    `kind` names what the file should be ("CSV file", "network file") and `name`, already fit for a message,
    how messages call the file (default: its path, cut); a missing file is shown with its path, to say where
    ffviz looked.
    """
    fd, name, _ = _open_regular(path, kind=kind, name=name, limit=limit)
    try:
        chunks, total = [], 0
        while True:  # bounded even if the file grew since fstat: read at most limit + 1 bytes
            chunk = os.read(fd, min(_CHUNK, limit + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
            if total > limit:
                raise FfvizError(f"{name} grew while being read: larger than the {format_bytes(limit)} "
                                 f"ffviz reads in a {kind}")
        return b"".join(chunks)
    except OSError as exc:
        raise FfvizError(f"cannot read {name}: {os_reason(exc)}") from None
    finally:
        os.close(fd)


def read_head(path, n: int, *, kind: str, name: str | None = None) -> bytes:
    """The first `n` bytes (or fewer) of the regular file at `path`, checked as read_regular_file checks, for
    telling what a file is by its content without reading a large one whole."""
    fd, name, _ = _open_regular(path, kind=kind, name=name, limit=None)
    try:
        return os.read(fd, n)
    except OSError as exc:
        raise FfvizError(f"cannot read {name}: {os_reason(exc)}") from None
    finally:
        os.close(fd)


def _open_regular(path, *, kind: str, name: str | None, limit: int | None):
    """(descriptor, name for messages, fstat) of a regular file opened for reading without blocking; anything
    else (a folder, a device, a pipe, a socket, a file over `limit`) is one FfvizError line."""
    path = encodable(path)
    where = shown_path(path)
    name = where if name is None else name
    # Look before opening: opening a device can itself do something (a tape rewinds, a modem hangs up).
    try:
        kind_of = _kind_of(os.stat(path).st_mode)
    except FileNotFoundError:
        raise MissingFileError(f"{kind} not found: {where}") from None
    except OSError as exc:
        raise FfvizError(f"cannot read {name}: {os_reason(exc)}") from None
    if kind_of == "a folder":
        raise FfvizError(f"{name} is a folder, not a {kind}")
    if kind_of is not None:
        raise FfvizError(f"{name} is {kind_of}, not a {kind}; ffviz reads regular files only")
    try:
        # O_NONBLOCK: opening a FIFO without a writer returns at once instead of waiting forever.
        # O_NOCTTY: a terminal device named as the file must not become this process's terminal.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0)
                     | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0))
    except FileNotFoundError:
        raise MissingFileError(f"{kind} not found: {where}") from None
    except OSError as exc:
        raise FfvizError(f"cannot read {name}: {os_reason(exc)}") from None
    try:
        st = os.fstat(fd)  # again on what was opened: the path may have been swapped since the stat above
        kind_of = _kind_of(st.st_mode)
        if kind_of == "a folder":
            raise FfvizError(f"{name} is a folder, not a {kind}")
        if kind_of is not None:
            raise FfvizError(f"{name} is {kind_of}, not a {kind}; ffviz reads regular files only")
        if limit is not None and st.st_size > limit:
            raise FfvizError(f"{name} is {format_bytes(st.st_size)}: larger than the {format_bytes(limit)} "
                             f"ffviz reads in a {kind}")
    except BaseException as exc:
        os.close(fd)
        if isinstance(exc, OSError):
            raise FfvizError(f"cannot read {name}: {os_reason(exc)}") from None
        raise
    return fd, name, st
