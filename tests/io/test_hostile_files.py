"""Files a reader must refuse without reading them: devices, pipes, sockets, folders, huge files, names the
system refuses. Each gives one FfvizError line, and none of them is read (a named pipe without a writer would
block a reader that opened it naively: the watchdog below would then have to unblock it, and the test fails)."""

import os
import socket
import threading

import pytest

from ffviz.errors import FfvizError
from ffviz.io.csv_data import read_csv_table
from ffviz.io.files import load_network_file, load_spec
from ffviz.io.weights import load_weights, load_weights_npz

READERS = {
    "network file": load_network_file,
    "CSV file": read_csv_table,
    "weights file": load_weights_npz,
}


@pytest.fixture(params=sorted(READERS))
def reader(request):
    return request.param, READERS[request.param]


@pytest.fixture
def reads(monkeypatch):
    """Every os.read the readers make, by file descriptor: a refused file must show none."""
    calls = []
    real = os.read

    def spy(fd, n):
        calls.append(fd)
        return real(fd, n)

    monkeypatch.setattr(os, "read", spy)
    return calls


def refusal(read, path) -> str:
    with pytest.raises(FfvizError) as err:
        read(path)
    message = str(err.value)
    assert "\n" not in message and len(message) < 300
    return message


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom", "/dev/null"])
def test_a_device_is_refused_unread(reader, reads, device):
    if not os.path.exists(device):
        pytest.skip(f"{device} is not on this system")
    kind, read = reader
    name = os.path.basename(device)
    assert refusal(read, device) == f"{name} is a device, not a {kind}; ffviz reads regular files only"
    assert reads == []


def test_a_named_pipe_is_refused_without_waiting_for_a_writer(reader, reads, tmp_path):
    kind, read = reader
    fifo = tmp_path / "pipe.json"
    os.mkfifo(fifo)
    unblocked = []

    def unblock():  # only if a reader blocked: open the write end so its open (and read) can return
        unblocked.append(True)
        os.close(os.open(fifo, os.O_RDWR))  # O_RDWR never blocks on Linux; closing it gives the reader EOF

    watchdog = threading.Timer(10.0, unblock)
    watchdog.start()
    try:
        message = refusal(read, fifo)
    finally:
        watchdog.cancel()
    assert not unblocked and reads == []
    assert message == f"pipe.json is a named pipe (FIFO), not a {kind}; ffviz reads regular files only"


def test_a_socket_is_refused(reader, tmp_path, monkeypatch):
    kind, read = reader
    monkeypatch.chdir(tmp_path)  # AF_UNIX paths are short: bind by a relative name
    sock = socket.socket(socket.AF_UNIX)
    try:
        sock.bind("sock.csv")
        assert refusal(read, tmp_path / "sock.csv") == \
            f"sock.csv is a socket, not a {kind}; ffviz reads regular files only"
    finally:
        sock.close()


def test_a_folder_is_refused(reader, tmp_path):
    kind, read = reader
    (tmp_path / "dir.json").mkdir()
    assert refusal(read, tmp_path / "dir.json") == f"dir.json is a folder, not a {kind}"


def test_a_huge_sparse_file_is_refused_by_its_size_unread(reader, reads, tmp_path):
    kind, read = reader
    path = tmp_path / "huge.json"
    with open(path, "wb") as f:
        f.truncate(200 * 10**9)  # sparse: no disk used
    message = refusal(read, path)
    assert message.startswith("huge.json is 186 GiB: larger than the ") and message.endswith(f"in a {kind}")
    assert reads == []


def test_a_file_that_grows_while_read_is_cut_at_the_bound(tmp_path, monkeypatch):
    """The bound holds on what is read, not on what stat said: a file appended to while read is refused."""
    from ffviz.io import reading
    path = tmp_path / "grows.csv"
    path.write_bytes(b"a,b\n1,2\n")
    real = os.read

    def grow_then_read(fd, n):
        with open(path, "ab") as f:
            f.write(b"1,2\n" * 100)
        return real(fd, n)

    monkeypatch.setattr(os, "read", grow_then_read)
    with pytest.raises(FfvizError, match="grew while being read"):
        reading.read_regular_file(path, limit=64, kind="CSV file")


@pytest.mark.parametrize("make, needle", [
    (lambda tmp: tmp / ("n" * 5000 + ".json"), "the name is too long for this system"),
    (lambda tmp: tmp / ("d" * 300) / "x.json", "the name is too long for this system"),
    (lambda tmp: tmp / "x\ud800.json", "holds characters no file name can hold"),
    (lambda tmp: tmp / "x\x00.json", "NUL character"),
])
def test_names_the_system_refuses_are_one_line(reader, tmp_path, make, needle):
    _, read = reader
    message = refusal(read, make(tmp_path))
    assert needle in message and len(message) < 200


def test_a_symbolic_link_loop_is_one_line(reader, tmp_path):
    _, read = reader
    os.symlink(tmp_path / "b", tmp_path / "a")
    os.symlink(tmp_path / "a", tmp_path / "b")
    assert "too many symbolic links" in refusal(read, tmp_path / "a")


def test_no_permission_is_one_line(reader, tmp_path, monkeypatch):
    _, read = reader
    path = tmp_path / "secret.csv"
    path.write_text("a,b\n1,2\n")
    path.chmod(0)
    if os.geteuid() == 0:  # root reads anything: make the system say no
        def refuse(*args, **kwargs):
            raise PermissionError(13, "Permission denied")
        monkeypatch.setattr(os, "open", refuse)
    assert refusal(read, path) == "cannot read secret.csv: Permission denied"


def test_weights_of_either_kind_are_read_with_the_same_care(tmp_path):
    os.mkfifo(tmp_path / "w.npz")
    assert refusal(load_weights, tmp_path / "w.npz") == \
        "w.npz is a named pipe (FIFO), not a weights file; ffviz reads regular files only"
    assert refusal(load_weights, "/dev/zero") == "zero is a device, not a weights file; ffviz reads regular files only"


def test_a_name_that_is_not_utf8_still_works(tmp_path):
    """A file name of bytes that are not UTF-8 arrives as '\\udcff' (surrogateescape): it must open, and any
    message about it must print."""
    raw = os.path.join(os.fsencode(tmp_path), b"\xff.csv")
    with open(raw, "wb") as f:
        f.write(b"a,b\n1,2\n")
    assert read_csv_table(os.fsdecode(raw)).x.tolist() == [[1.0]]
    message = refusal(load_network_file, os.fsdecode(raw))
    assert "\\udcff.csv" in message
    message.encode("utf-8")  # printable: no lone surrogate left in it


@pytest.mark.parametrize("spec", ["\udcff", "\ud800", "x" * 5000, "a/" * 3000 + "b"])
def test_a_spec_that_names_no_file_says_so_in_one_short_line(spec):
    with pytest.raises(FfvizError) as err:
        load_spec(spec)
    message = str(err.value)
    assert "\n" not in message and len(message) < 400
    message.encode("utf-8")
