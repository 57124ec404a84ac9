"""A run's output folder is replaced all together or not at all: a failure at any point (writing the second
file, renaming it, Ctrl+C, a folder where a file should be, no permission) keeps every old file as it was and
leaves no temporary file behind."""

import errno
import os

import pytest

from ffviz.errors import FfvizError
from ffviz.io import files
from ffviz.io.files import write_run

OLD = {"weights.json": b"old json", "weights.npz": b"old npz", "history.csv": b"old csv"}
NEW = {"weights.json": b"new json", "weights.npz": b"new npz", "history.csv": b"new csv"}


@pytest.fixture
def out(tmp_path):
    folder = tmp_path / "out"
    folder.mkdir()
    for name, data in OLD.items():
        (folder / name).write_bytes(data)
    (folder / "notes.txt").write_bytes(b"the user's own file")
    return folder


def contents(folder) -> dict:
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}


def assert_untouched(folder):
    assert contents(folder) == dict(OLD, **{"notes.txt": b"the user's own file"})
    assert sorted(p.name for p in folder.iterdir()) == sorted(list(OLD) + ["notes.txt"])  # no temp file


def fail_on_call(monkeypatch, module, name, n, error):
    """Make module.name raise `error` on its n-th call (and pass every other call through)."""
    real, calls = getattr(module, name), []

    def wrapper(*args, **kwargs):
        calls.append(args)
        if len(calls) == n:
            raise error
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, wrapper)
    return calls


def test_every_file_is_replaced_and_nothing_else_is_left(out):
    write_run(out, NEW)
    assert contents(out) == dict(NEW, **{"notes.txt": b"the user's own file"})
    assert sorted(p.name for p in out.iterdir()) == sorted(list(NEW) + ["notes.txt"])


def test_a_new_folder_is_made_with_its_parents(tmp_path):
    write_run(tmp_path / "a" / "b", NEW)
    assert contents(tmp_path / "a" / "b") == NEW


def test_a_failure_writing_the_second_file_changes_nothing(out, monkeypatch):
    fail_on_call(monkeypatch, os, "fsync", 2, OSError(errno.ENOSPC, "No space left on device"))
    with pytest.raises(FfvizError) as err:
        write_run(out, NEW)
    assert str(err.value) == (f"cannot write {out}/weights.npz: no space left on the disk; "
                              f"the files in {out} are as they were")
    assert_untouched(out)


@pytest.mark.parametrize("error", [OSError(errno.EIO, "Input/output error"), KeyboardInterrupt()])
def test_a_failure_renaming_the_second_file_puts_the_first_back(out, monkeypatch, error):
    fail_on_call(monkeypatch, os, "replace", 2, error)
    with pytest.raises(FfvizError if isinstance(error, OSError) else KeyboardInterrupt):
        write_run(out, NEW)
    assert_untouched(out)


def test_a_failure_renaming_the_last_file_puts_back_all_before_it(out, monkeypatch):
    fail_on_call(monkeypatch, os, "replace", 3, OSError(errno.EIO, "Input/output error"))
    with pytest.raises(FfvizError, match="history.csv: input/output error"):
        write_run(out, NEW)
    assert_untouched(out)


def test_files_that_did_not_exist_before_are_removed_again(tmp_path, monkeypatch):
    fail_on_call(monkeypatch, os, "replace", 3, OSError(errno.EIO, "Input/output error"))
    with pytest.raises(FfvizError):
        write_run(tmp_path / "fresh", NEW)
    assert list((tmp_path / "fresh").iterdir()) == []


def test_a_folder_where_a_file_should_be_changes_nothing(out):
    (out / "weights.npz").unlink()
    (out / "weights.npz").mkdir()
    with pytest.raises(FfvizError) as err:
        write_run(out, NEW)
    assert str(err.value) == f"cannot write {out}/weights.npz: it is a folder; nothing in {out} was changed"
    assert (out / "weights.json").read_bytes() == b"old json" and (out / "weights.npz").is_dir()
    assert sorted(p.name for p in out.iterdir()) == ["history.csv", "notes.txt", "weights.json", "weights.npz"]


def test_no_permission_changes_nothing(out, monkeypatch):
    out.chmod(0o555)
    try:
        if os.geteuid() == 0:  # root may write anyway: let the system refuse the way it would
            fail_on_call(monkeypatch, files.tempfile, "mkdtemp", 1, PermissionError(errno.EACCES, "Permission denied"))
        with pytest.raises(FfvizError) as err:
            write_run(out, NEW)
    finally:
        out.chmod(0o755)
    assert str(err.value) == f"cannot write into {out}: Permission denied; nothing in it was changed"
    assert_untouched(out)


def test_no_permission_to_replace_one_file_changes_nothing(out, monkeypatch):
    fail_on_call(monkeypatch, os, "replace", 2, PermissionError(errno.EACCES, "Permission denied"))
    with pytest.raises(FfvizError, match="weights.npz: Permission denied; the files in .* are as they were"):
        write_run(out, NEW)
    assert_untouched(out)


def test_when_even_putting_back_fails_the_message_says_where_the_old_files_are(out, monkeypatch):
    real = os.replace
    calls = []

    def replace(src, dst):
        calls.append(dst)
        if len(calls) >= 2:  # the second rename fails, and so does putting the first one back
            raise OSError(errno.EIO, "Input/output error")
        return real(src, dst)

    monkeypatch.setattr(os, "replace", replace)
    with pytest.raises(FfvizError) as err:
        write_run(out, NEW)
    message = str(err.value)
    assert "some old files could not be put back: they are kept in " in message
    kept = out / message.rsplit("kept in ", 1)[1].rsplit("/", 1)[1]
    assert (kept / "weights.json.old").read_bytes() == b"old json"


def test_a_file_in_place_of_the_folder_is_one_line(tmp_path):
    (tmp_path / "out").write_bytes(b"x")
    with pytest.raises(FfvizError, match="it is a file, not a folder"):
        write_run(tmp_path / "out", NEW)
    assert (tmp_path / "out").read_bytes() == b"x"


@pytest.mark.parametrize("folder, needle", [("\ud800", "holds characters no file name can hold"),
                                            ("n" * 5000, "the name is too long for this system")])
def test_folder_names_the_system_refuses_are_one_line(tmp_path, folder, needle):
    with pytest.raises(FfvizError) as err:
        write_run(tmp_path / folder, NEW)
    assert needle in str(err.value) and len(str(err.value)) < 250


def test_a_file_can_be_given_as_a_function_that_writes_it(out):
    write_run(out, dict(NEW, **{"history.csv": lambda fh: fh.write(b"streamed csv")}))
    assert contents(out)["history.csv"] == b"streamed csv"
    assert contents(out)["weights.json"] == b"new json"


def test_a_writing_function_that_fails_changes_nothing(out):
    def half_then_fail(fh):
        fh.write(b"half of it")
        raise FfvizError("the session would be too big")

    with pytest.raises(FfvizError, match="too big"):
        write_run(out, dict(NEW, **{"weights.npz": half_then_fail}))
    assert_untouched(out)
