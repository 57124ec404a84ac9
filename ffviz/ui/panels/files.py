"""Files from the window: sessions (save, open, recent), network and weight files, CSV import with a preview,
exports (every view as PNG or SVG at a chosen size, one view from its right-click menu, an animation), drag and
drop, and data made by hand on the decision boundary.

The FilesController does the work and the window only hooks it in (ui/main_window.py `_build_files`). It never
touches the run: it asks the worker (save a session, capture a copy of the run, adopt a saved run, set weights)
through queued signals, and reads only the snapshot the window last drew. Every problem is one line in the
window's banner (`report_error`), and a file refused changes nothing.
"""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import numpy as np
from PySide6 import QtCore, QtWidgets
from PySide6.QtCore import Signal

from ffviz.errors import FfvizError, shown_path

RECENT_KEY = "files/recent"
MAX_RECENT = 8
PREVIEW_ROWS = 8
SESSION_FILTER = "ffviz sessions (*.ffviz)"
OPEN_FILTER = "ffviz files (*.ffviz *.json *.npz *.csv);;Sessions (*.ffviz);;Network and weight files (*.json *.npz);;" \
              "CSV data (*.csv);;All files (*)"


# ---------------------------------------------------------------- view settings (sessions keep them)

def view_settings(window) -> dict:
    """What the window shows the run with, as plain JSON values: a session keeps these."""
    net, loss, boundary = window.network_view, window.loss_plot, window.boundary_plot
    selection = net.selection()
    return {
        "color_mode": net.color_mode(),
        "selection": None if selection is None else [selection[0], selection[1], list(selection[2])],
        "log_scale": bool(loss.log_scale),
        "show_test": bool(boundary.show_test),
        "discretize": bool(boundary.discretize),
        "theme": window._theme_name,
        "diverging": window._diverging_name,
        "font_scale": float(window.font_scale),
        "precision": _precision_name(window.lecture.precision),
        "sample": int(window.lecture.sample),
        "projector_plot": window._projector_plot,
        "log_gradient": bool(net.log_gradient),
        **window.gradient_view.view_settings(),
        **window.gallery_view.view_settings(),
        **_plane_slice_settings(window.snapshot),
    }


def _plane_slice_settings(snap) -> dict:
    """More than two inputs: the slice the decision boundary shows (its axes, and the held values chosen)."""
    plane = None if snap is None else snap.plane
    if plane is None or plane.axes is None:
        return {}
    return {"plane_slice": {"axes": [int(a) for a in plane.axes],
                            "held": [[int(c), float(v)] for c, v in plane.held if c in plane.chosen]}}


def _apply_plane_slice(window, settings: dict) -> None:
    """The session's slice, if it is one of this data's (values of the wrong kind are left out)."""
    from ffviz.engine.plane import PlaneSlice, checked_slice, has_slices
    raw, snap = settings.get("plane_slice"), window.snapshot
    if not isinstance(raw, dict) or snap is None or not has_slices(snap.dataset):
        return
    axes, held = raw.get("axes"), raw.get("held")
    numbers = (int, float)
    if not (isinstance(axes, list) and len(axes) == 2 and all(type(a) is int for a in axes)
            and isinstance(held, list) and all(isinstance(h, list) and len(h) == 2 and type(h[0]) is int
                                               and isinstance(h[1], numbers) and not isinstance(h[1], bool)
                                               for h in held)):
        return
    try:
        sl = checked_slice(snap.dataset, PlaneSlice(tuple(axes), tuple((c, v) for c, v in held)))
    except FfvizError:
        return
    window.plane_slice_requested.emit(sl)


def apply_view_settings(views: dict, settings: dict) -> None:
    """Apply the settings that belong to views ({key: view}); values of the wrong kind are left out (a session
    from elsewhere must not stop opening over how it was looked at)."""
    net, loss, boundary = views.get("network"), views.get("loss"), views.get("boundary")
    chain = views.get("chain")
    if net is not None and settings.get("color_mode") in ("weight", "gradient"):
        net.set_color_mode(settings["color_mode"])
    if net is not None and isinstance(settings.get("log_gradient"), bool):
        net.set_log_gradient(settings["log_gradient"])
    for key in ("gradients", "activations"):  # each takes its own keys, leaving out values of the wrong kind
        if views.get(key) is not None:
            views[key].apply_view_settings(settings)
    if loss is not None and isinstance(settings.get("log_scale"), bool) and settings["log_scale"] != loss.log_scale:
        loss.set_log_scale(settings["log_scale"])
    if boundary is not None:
        if isinstance(settings.get("show_test"), bool):
            boundary.set_show_test(settings["show_test"])
        if isinstance(settings.get("discretize"), bool):
            boundary.set_discretize(settings["discretize"])
    sel = settings.get("selection")
    if net is not None and _is_selection(sel):
        try:
            net.set_selection(sel[0], sel[1], tuple(sel[2]))
        except ValueError:  # not a weight of this network (the session was edited): no selection then
            return
        for view in (chain, views.get("gradients")):
            if view is not None:
                view.set_selection(sel[0], sel[1], tuple(sel[2]))


def _is_selection(sel) -> bool:
    return (isinstance(sel, list) and len(sel) == 3 and isinstance(sel[0], int) and not isinstance(sel[0], bool)
            and sel[1] in ("kernel", "bias") and isinstance(sel[2], list) and len(sel[2]) <= 2
            and all(isinstance(i, int) and not isinstance(i, bool) and 0 <= i < 10**7 for i in sel[2]))


def apply_window_settings(window, settings: dict) -> None:
    """The window's part of the settings: theme, colour map, text size, digits, the projector's plot, and the
    views' part (apply_view_settings), with the toolbar's toggles following."""
    from ffviz.ui import format as fmt
    from ffviz.ui import theme as themes
    if settings.get("theme") in themes.THEME_NAMES and settings["theme"] != window._theme_name:
        window.set_theme(settings["theme"])
    if settings.get("diverging") in themes.DIVERGING and settings["diverging"] != window._diverging_name:
        window.set_diverging(settings["diverging"])
    scale = settings.get("font_scale")
    if isinstance(scale, (int, float)) and not isinstance(scale, bool) and math.isfinite(scale) \
            and scale != window.font_scale:
        window.set_font_scale(float(scale))
    names = {_precision_name(p): p for p in fmt.PRECISIONS}
    if settings.get("precision") in names and names[settings["precision"]] != window.lecture.precision:
        window._set_lecture(precision=names[settings["precision"]])
    plot = settings.get("projector_plot")
    if isinstance(plot, str) and plot in window.docks and plot != window._projector_plot:
        window.set_projector_plot(plot)
    views = _views_by_key(window)
    apply_view_settings(views, settings)
    _apply_plane_slice(window, settings)
    window.act_gradient.setChecked(window.network_view.color_mode() == "gradient")
    window.act_log_gradient.setChecked(window.network_view.log_gradient)
    window.act_log.setChecked(window.loss_plot.log_scale)
    sample = settings.get("sample")
    if isinstance(sample, int) and not isinstance(sample, bool) and 0 <= sample < 10**7:
        window.set_sample(sample)


def _precision_name(p) -> str:
    """"sig3", "decimals2", "full": a digits setting as a session names it."""
    return "full" if p.kind == "full" else f"{p.kind}{p.digits}"


def _views_by_key(window) -> dict:
    from ffviz.ui.main_window import VIEWS
    return {e.key: getattr(window, e.attribute) for e in VIEWS}


# ---------------------------------------------------------------- what a file is

def sniff(path) -> str:
    """"session", "network" (a network or weights file, JSON or NPZ) or "csv", from the file's first bytes."""
    from ffviz.io.reading import read_head
    from ffviz.io.session import is_session
    name = shown_path(Path(path).name or path)
    head = read_head(path, 4096, kind="file", name=name)
    if is_session(head):
        return "session"
    if head[:4] in (b"PK\x03\x04", b"PK\x05\x06") or head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] in (b"{", b"["):
        return "network"
    if Path(path).suffix.lower() in (".csv", ".tsv", ".txt") or any(c in head for c in (b",", b";", b"\t")):
        return "csv"
    raise FfvizError(f"{name} is neither an ffviz session, a network or weights file, nor CSV data")


def _trained_weights(path) -> bool:
    """Whether a network or weights file holds trained weights (weights.npz, or a network file with its weights
    and the `trained` record ffviz writes): Open puts those onto the current network. A network file that only
    gives starting weights (the lecture's) is a run of its own."""
    from ffviz.io.files import read_json
    from ffviz.io.reading import read_head
    if read_head(path, 4, kind="file")[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
        return True
    try:
        d = read_json(path)
    except FfvizError:
        return False  # opened as a network file, whose reader says what is wrong with it
    return isinstance(d, dict) and "trained" in d and isinstance(d.get("layers"), list) \
        and any(isinstance(layer, dict) and "kernel" in layer for layer in d["layers"][1:])


# ---------------------------------------------------------------- the controller

class FilesController(QtCore.QObject):
    """Sessions, files, exports and hand-made data for one MainWindow (see the module's docstring)."""

    # to the worker (queued)
    session_save_requested = Signal(str, object)  # path, view settings
    session_load_requested = Signal(object)  # SavedRun
    capture_requested = Signal()
    parameters_requested = Signal(object)  # {(layer, kind, index): value}
    # for whoever waits (tests, the smoke test)
    session_opened = Signal(str)  # a session is on screen, its view settings applied
    session_written = Signal(str)  # the worker wrote a session (said once the window has taken note)
    animation_written = Signal(str)
    exported = Signal(list)

    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.session_path: str | None = None  # where Ctrl+S saves (the session opened or saved last)
        self._pending: tuple | None = None  # (path, view settings) of a session the worker is adopting
        self._adopted: tuple | None = None  # … and once it has, until the window shows its first snapshot
        self._classes_of = None  # the dataset the class list was made for
        self._title = window.windowTitle()
        self.last_menu: QtWidgets.QMenu | None = None  # the right-click menu shown last (kept alive while shown)
        self._animation: dict | None = None  # what to animate once the worker has sent a copy of the run
        self._build_actions()

    # -------------------------------------------------------- building

    def _build_actions(self) -> None:
        w = self.window
        self.act_save_session = w._action("Save session", self.on_save_session, ("Ctrl+S",),
                                          tip="Save the whole run: weights, optimizer, history, timeline, view")
        self.act_save_session_as = w._action("Save session as…", self.on_save_session_as, ("Ctrl+Shift+S",))
        self.act_open_network = w._action("Open as a new run…", self.on_open_network,
                                          tip="A network or weights file as a run of its own (its data, its "
                                              "optimizer, its weights as the start)")
        self.act_open_weights = w._action("Load weights onto this network…", self.on_open_weights,
                                          tip="Set every weight from a weights.json or weights.npz of this shape")
        self.act_import_csv = w._action("Import CSV data…", self.on_import_csv,
                                        tip="Train on a CSV file: preview its first rows and the task found")
        self.act_export_views = w._action("Export…", self.on_export_dialog, ("Ctrl+Shift+E",),
                                          tip="Export views as PNG (at a chosen width) or SVG")
        self.act_export_animation = w._action("Export animation…", self.on_export_animation,
                                              tip="The next updates of a view as an animated GIF or APNG")
        self.act_export_data = w._action("Export data as CSV…", self.on_export_data)
        self.act_draw_points = w._action("Draw points", self.set_drawing, checkable=True,
                                         tip="Click the decision boundary to add a point of the chosen class; "
                                             "right-click removes the nearest")
        self.recent_menu = QtWidgets.QMenu("Recent files", w)
        self.recent_menu.aboutToShow.connect(self._fill_recent)
        self.class_combo = QtWidgets.QComboBox()
        self.class_combo.setToolTip("The class of the points a click adds")
        self.class_combo.setFocusPolicy(QtCore.Qt.FocusPolicy.ClickFocus)

    def fill_file_menu(self, menu: QtWidgets.QMenu) -> None:
        w = self.window
        for a in (w.act_open, self.act_save_session, self.act_save_session_as):
            menu.addAction(a)
        menu.addMenu(self.recent_menu)
        menu.addSeparator()
        for a in (self.act_open_network, w.act_save, self.act_open_weights, self.act_import_csv):
            menu.addAction(a)
        menu.addSeparator()
        for a in (self.act_export_views, w.act_export, self.act_export_animation, self.act_export_data):
            menu.addAction(a)

    def build_points_toolbar(self) -> QtWidgets.QToolBar:
        tb = QtWidgets.QToolBar("Points")
        tb.setObjectName("pointsToolbar")
        tb.addAction(self.act_draw_points)
        tb.addWidget(QtWidgets.QLabel(" class "))
        tb.addWidget(self.class_combo)
        return tb

    def connect(self, worker) -> None:
        w = self.window
        self.session_save_requested.connect(worker.save_session)
        self.session_load_requested.connect(worker.load_session)
        self.capture_requested.connect(worker.capture)
        self.parameters_requested.connect(worker.set_parameters)
        worker.session_saved.connect(self._on_session_saved)
        worker.run_captured.connect(self._on_run_captured)
        worker.config_applied.connect(self._on_config_applied)
        worker.snapshot_ready.connect(self._on_snapshot)  # after the window's own slot: the views have drawn it
        w.boundary_plot.point_added.connect(self.add_point)
        w.boundary_plot.point_removed.connect(self.remove_point)
        from ffviz.ui.main_window import VIEWS
        for entry in VIEWS:
            view = getattr(w, entry.attribute)
            view.setContextMenuPolicy(QtCore.Qt.ContextMenuPolicy.CustomContextMenu)
            view.customContextMenuRequested.connect(
                lambda pos, v=view, t=entry.title: self._on_view_menu(v, t, pos))

    # -------------------------------------------------------- sessions

    def on_save_session(self) -> None:
        if self.session_path is None:
            self.on_save_session_as()
        else:
            self.save_session(self.session_path)

    def on_save_session_as(self) -> None:
        suggested = self.session_path or str(Path(self.window._file_dialog_dir()) / "run.ffviz")
        path, _ = QtWidgets.QFileDialog.getSaveFileName(self.window, "Save session", suggested, SESSION_FILTER)
        if path:
            self.save_session(path if Path(path).suffix else path + ".ffviz")

    def save_session(self, path) -> None:
        """Ask the worker to save the run with the window's view settings (it says session_saved or failed)."""
        self.session_save_requested.emit(str(path), view_settings(self.window))

    def _set_session_path(self, path: str | None) -> None:
        """Where Ctrl+S saves, shown in the window's title."""
        self.session_path = path
        self.window.setWindowTitle(self._title if path is None else f"{Path(path).name} — {self._title}")

    def _on_session_saved(self, path: str) -> None:
        self._set_session_path(path)
        self.add_recent(path)
        snap = self.window.snapshot
        rewound = "" if snap is None or snap.rewound_from is None else (
            f" (the whole run, to update {snap.rewound_from}: it opens there, not at update {snap.step} shown now)")
        self.window.statusBar().showMessage(f"Saved the session {path}{rewound}", 8000)
        self.session_written.emit(path)

    def open_session(self, path) -> bool:
        """Read and check a session file, then have the worker adopt it (the window follows when it has); a
        file refused changes nothing."""
        from ffviz.io.session import load_session
        try:
            session = load_session(path)
        except FfvizError as exc:
            self.window.report_error(str(exc))
            return False
        self._pending = (str(path), session.view)
        self.session_load_requested.emit(session.run)
        return True

    def _on_config_applied(self, how: str, config, base_dir) -> None:
        if how == "session" and self._pending is not None:
            self._adopted, self._pending = self._pending, None  # its settings go on with its first snapshot
        elif how == "loaded":  # a preset or a network file: another run, which Ctrl+S must not save over the session
            self._set_session_path(None)

    def _on_snapshot(self, snap) -> None:
        """The classes points can be drawn in follow the data; after the window drew the first snapshot of a
        session it opened: the session's view settings (a selected weight needs the network on screen first)."""
        if snap.dataset is not self._classes_of:
            self._classes_of = snap.dataset
            self._fill_classes(snap.dataset)
        if self._adopted is None:
            return
        path, settings = self._adopted
        self._adopted = None
        apply_window_settings(self.window, settings)
        self._set_session_path(path)
        self.add_recent(path)
        self.window.notice.hide()
        self.window.banner.hide()
        self.window.statusBar().showMessage(f"Opened the session {path} at update {snap.step}", 6000)
        self.session_opened.emit(path)

    # -------------------------------------------------------- opening any file

    def on_open(self) -> None:
        path, _ = QtWidgets.QFileDialog.getOpenFileName(self.window, "Open", self.window._file_dialog_dir(),
                                                        OPEN_FILTER)
        if path:
            self.open_file(path)

    def open_file(self, path, *, ask: bool = True) -> bool:
        """A session, a network or weights file (a new run from it), or CSV data (with a preview first when
        `ask`), told apart by content."""
        try:
            kind = sniff(path)
        except FfvizError as exc:
            self.window.report_error(str(exc))
            return False
        if kind == "session":
            return self.open_session(path)
        if kind == "csv":
            return self.import_csv(path, ask=ask)
        if _trained_weights(path):
            return self.open_weights(path, hint=True)
        return self.open_network(path)

    def on_open_network(self) -> None:
        path, _ = QtWidgets.QFileDialog.getOpenFileName(self.window, "Open as a new run",
                                                        self.window._file_dialog_dir(),
                                                        "Network and weight files (*.json *.npz);;All files (*)")
        if path:
            self.open_network(path)

    def open_network(self, path) -> bool:
        """A network file or weights.npz: a new run from it (its weights, if it has them, as the start)."""
        from ffviz.io.weights import load_network_or_weights
        try:
            cfg = load_network_or_weights(path)
        except FfvizError as exc:
            self.window.report_error(str(exc))
            return False
        folder = str(Path(path).resolve().parent)
        self.window._settings.setValue("lastDir", folder)
        self.add_recent(path)
        self.window.load_requested.emit(cfg, Path(folder))
        return True

    def on_open_weights(self) -> None:
        path, _ = QtWidgets.QFileDialog.getOpenFileName(self.window, "Load weights onto this network",
                                                        self.window._file_dialog_dir(),
                                                        "Weights (*.json *.npz);;All files (*)")
        if path:
            self.open_weights(path)

    def open_weights(self, path, hint: bool = False) -> bool:
        """Set every weight of the current network from a weights.json or weights.npz whose shapes match; else
        one line naming the first layer that does not (`hint`: and how to open the file as a run instead)."""
        from ffviz.io.weights import load_weights, weights_fit
        snap = self.window.snapshot
        if snap is None:
            return False
        name = shown_path(Path(path).name)
        try:
            loaded = load_weights(path)
        except FfvizError as exc:
            self.window.report_error(str(exc))
            return False
        mismatch = weights_fit(snap.config, loaded, name)
        if mismatch is not None:
            also = " (File → Open as a new run opens the file as a run of its own)" if hint else ""
            self.window.report_error(f"cannot load these weights onto this network: {mismatch}{also}")
            return False
        values = {}
        for layer, spec in enumerate(loaded.layers, start=1):
            for i, row in enumerate(spec.kernel):
                for j, v in enumerate(row):
                    values[(layer, "kernel", (i, j))] = v
            for j, v in enumerate(spec.bias or ()):
                values[(layer, "bias", (j,))] = v
        self.parameters_requested.emit(values)
        note = ""
        theirs, mine = loaded.data.standardization, snap.dataset.standardization
        if theirs is not None and mine is not None and theirs != mine:
            note = " (they were trained on inputs standardised otherwise: predictions may be off)"
        also = " (File → Open as a new run starts a run from the file instead)" if hint else ""
        self.window.statusBar().showMessage(f"Loaded the weights of {name} onto this network{note}{also}", 10000)
        return True

    # -------------------------------------------------------- recent files

    def recent(self) -> list[str]:
        value = self.window._settings.value(RECENT_KEY, [])
        if isinstance(value, str):  # QSettings gives one string for a list of one
            value = [value]
        return [v for v in value if isinstance(v, str)][:MAX_RECENT] if isinstance(value, list) else []

    def add_recent(self, path) -> None:
        try:
            path = str(Path(path).resolve())
        except (OSError, RuntimeError):
            path = str(path)
        items = [path] + [p for p in self.recent() if p != path]
        self.window._settings.setValue(RECENT_KEY, items[:MAX_RECENT])

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        items = self.recent()
        if not items:
            act = self.recent_menu.addAction("(none yet)")
            act.setEnabled(False)
            return
        for i, path in enumerate(items, start=1):
            act = self.recent_menu.addAction(f"&{i} {Path(path).name}   ({Path(path).parent})")
            act.triggered.connect(lambda _on=False, p=path: self.open_recent(p))
        self.recent_menu.addSeparator()
        self.recent_menu.addAction("Clear the list", lambda: self.window._settings.setValue(RECENT_KEY, []))

    def open_recent(self, path: str) -> bool:
        if not Path(path).exists():
            self.window._settings.setValue(RECENT_KEY, [p for p in self.recent() if p != path])
            self.window.report_error(f"{shown_path(path)} is not there any more (removed from the recent files)")
            return False
        return self.open_file(path)

    # -------------------------------------------------------- drag and drop

    @staticmethod
    def dropped_path(mime: QtCore.QMimeData) -> str | None:
        """The first local file a drag carries (None: it carries none)."""
        if mime is None or not mime.hasUrls():
            return None
        for url in mime.urls():
            if url.isLocalFile() and url.toLocalFile():
                return url.toLocalFile()
        return None

    # -------------------------------------------------------- CSV

    def on_import_csv(self) -> None:
        path, _ = QtWidgets.QFileDialog.getOpenFileName(self.window, "Import CSV data", self.window._file_dialog_dir(),
                                                        "CSV files (*.csv *.tsv *.txt);;All files (*)")
        if path:
            self.import_csv(path)

    def import_csv(self, path, *, ask: bool = True) -> bool:
        """Preview the CSV file (its first rows, its columns, the task found) and, once accepted (or at once when
        not `ask`), train on it: the controls fit the input and output layers to it."""
        try:
            preview = csv_preview(path)
        except FfvizError as exc:
            self.window.report_error(str(exc))
            return False
        if ask:
            dialog = CsvPreviewDialog(preview, self.window)
            if dialog.exec() != QtWidgets.QDialog.DialogCode.Accepted:
                return False
        return self.window.controls.open_csv(str(path))

    def on_export_data(self) -> None:
        snap = self.window.snapshot
        if snap is None:
            return
        path, _ = QtWidgets.QFileDialog.getSaveFileName(self.window, "Export data as CSV",
                                                        str(Path(self.window._file_dialog_dir()) / "data.csv"),
                                                        "CSV files (*.csv)")
        if path:
            self.export_data(path)

    def export_data(self, path) -> bool:
        """The run's data (points made by hand too) as a CSV file ffviz reads back."""
        from ffviz.io.data_csv import write_dataset_csv
        snap = self.window.snapshot
        try:
            write_dataset_csv(path, snap.dataset)
        except FfvizError as exc:
            self.window.report_error(str(exc))
            return False
        self.window.statusBar().showMessage(f"Exported the data to {path}", 5000)
        return True

    # -------------------------------------------------------- exports

    def on_export_dialog(self) -> None:
        dialog = ExportDialog(self.window)
        if dialog.exec() == QtWidgets.QDialog.DialogCode.Accepted:
            folder = QtWidgets.QFileDialog.getExistingDirectory(self.window, "Export into folder",
                                                                self.window._file_dialog_dir())
            if folder:
                self.export_views(folder, dialog.keys(), width=dialog.width_px(), formats=dialog.formats())

    def export_views(self, folder, keys=None, *, width: int | None = None, scale: float | None = None,
                     formats=("png", "svg")) -> list[Path]:
        """The views named by `keys` (default: all) as they are on screen, PNG `width` pixels wide (default a
        slide's) or `scale` × their size, and SVG; all files written together or none."""
        from ffviz.io.files import write_run
        from ffviz.ui.export import SLIDE_WIDTH, png_bytes, svg_bytes
        from ffviz.ui.main_window import VIEWS
        if width is None and scale is None:
            width = SLIDE_WIDTH
        files = {}
        try:
            for entry in VIEWS:
                if keys is not None and entry.key not in keys:
                    continue
                view = getattr(self.window, entry.attribute)
                target = view.export_target()
                if "png" in formats:
                    files[f"{view.export_name}.png"] = png_bytes(target, width, scale=scale)
                if "svg" in formats:
                    files[f"{view.export_name}.svg"] = svg_bytes(target, view.export_name)
            write_run(folder, files)
        except FfvizError as exc:
            self.window.report_error(str(exc))
            return []
        out = [Path(folder) / name for name in files]
        self.window.statusBar().showMessage(f"Exported {len(out)} files to {folder}", 5000)
        self.exported.emit(out)
        return out

    def _on_view_menu(self, view, title: str, pos) -> None:
        if view is self.window.boundary_plot and view.editing:
            return  # a right-click there removes a point
        menu = QtWidgets.QMenu(view)
        menu.addAction(f"Export “{title}” as PNG…", lambda: self.export_one(view, "png"))
        menu.addAction(f"Export “{title}” as SVG…", lambda: self.export_one(view, "svg"))
        menu.popup(view.mapToGlobal(pos))
        self.last_menu = menu

    def export_one(self, view, fmt: str, path=None) -> bool:
        """One view as PNG (a slide's width) or SVG; asks for the file when `path` is None."""
        from ffviz.ui.export import SLIDE_WIDTH, export_png, export_svg
        if path is None:
            suggested = str(Path(self.window._file_dialog_dir()) / f"{view.export_name}.{fmt}")
            path, _ = QtWidgets.QFileDialog.getSaveFileName(self.window, f"Export as {fmt.upper()}", suggested,
                                                            f"{fmt.upper()} files (*.{fmt})")
            if not path:
                return False
        try:
            if fmt == "png":
                export_png(view.export_target(), path, SLIDE_WIDTH)
            else:
                export_svg(view.export_target(), path)
        except FfvizError as exc:
            self.window.report_error(str(exc))
            return False
        self.window.statusBar().showMessage(f"Exported {path}", 5000)
        return True

    # -------------------------------------------------------- animations

    def on_export_animation(self) -> None:
        dialog = AnimationDialog(self.window)
        if dialog.exec() != QtWidgets.QDialog.DialogCode.Accepted:
            return
        fmt = dialog.format()
        suffix = "gif" if fmt == "gif" else "png"
        suggested = str(Path(self.window._file_dialog_dir()) / f"{dialog.key()}-animation.{suffix}")
        path, _ = QtWidgets.QFileDialog.getSaveFileName(self.window, "Export animation", suggested,
                                                        "GIF (*.gif)" if fmt == "gif" else "APNG (*.png *.apng)")
        if path:
            self.export_animation(path, dialog.key(), dialog.updates(), stride=dialog.stride(),
                                  width=dialog.width_px())

    def export_animation(self, path, key: str, updates: int, *, stride: int = 1, width: int | None = None,
                         show_progress: bool = True) -> bool:
        """The next `updates` updates of view `key`, trained on a copy of the run (the run on screen is left as
        it is), written to `path` (GIF or APNG by its suffix); says animation_written when done."""
        from ffviz.ui import animation
        width = width or animation.DEFAULT_WIDTH
        try:
            animation.format_of(path)
            animation.check(updates, stride, width)
        except FfvizError as exc:
            self.window.report_error(str(exc))
            return False
        self._animation = dict(path=str(path), key=key, updates=updates, stride=stride, width=width,
                               show_progress=show_progress)
        self.capture_requested.emit()  # the worker answers with a copy of the run (run_captured)
        return True

    def _on_run_captured(self, saved) -> None:
        job, self._animation = self._animation, None
        if job is None:
            return
        from ffviz.engine.session_state import restore
        from ffviz.io.files import atomic_write_bytes
        from ffviz.ui import animation
        progress = None
        if job["show_progress"]:
            progress = QtWidgets.QProgressDialog("Drawing the animation…", "Stop", 0,
                                                 animation.frame_count(job["updates"], job["stride"]), self.window)
            progress.setWindowModality(QtCore.Qt.WindowModality.WindowModal)
            progress.setMinimumDuration(300)

        def advance(done: int, total: int) -> bool:
            if progress is None:
                return True
            progress.setValue(done)
            QtWidgets.QApplication.processEvents()
            return not progress.wasCanceled()

        try:
            trainer = restore(saved)
            frames = animation.record(trainer, job["key"], job["updates"], stride=job["stride"], width=job["width"],
                                      settings=view_settings(self.window), theme=self.window.theme,
                                      progress=advance)
            atomic_write_bytes(job["path"], animation.encode(frames, animation.format_of(job["path"])))
        except FfvizError as exc:
            self.window.report_error(str(exc))
            return
        finally:
            if progress is not None:
                progress.close()
        self.window.statusBar().showMessage(f"Wrote {len(frames)} frames to {job['path']}", 6000)
        self.animation_written.emit(job["path"])

    # -------------------------------------------------------- data by hand

    def set_drawing(self, on: bool) -> None:
        """Clicks on the decision boundary add points of the chosen class (right-click removes); for two-class
        and multi-class data on the plane."""
        on = bool(on)
        snap = self.window.snapshot
        if on and (snap is None or snap.dataset.raw_train is None or snap.dataset.task == "regression"):
            self.window.report_error("points are drawn on the decision boundary of classification data with 2 "
                                     "inputs (choose such a dataset first)")
            on = False
        if on:
            self._fill_classes(snap.dataset)
            self.window.docks["boundary"].show()
            self.window.statusBar().showMessage("Click the decision boundary to add a point of the chosen class; "
                                                "right-click removes the nearest", 8000)
        self.window.boundary_plot.set_editing(on)
        if self.act_draw_points.isChecked() != on:
            self.act_draw_points.setChecked(on)

    def _fill_classes(self, ds) -> None:
        drawable = ds.raw_train is not None and ds.task != "regression"
        k = max(2, ds.n_classes)
        names = [] if not drawable else [ds.class_names[j] if j < len(ds.class_names) else
                                         (f"y = {j}" if ds.task == "binary" else f"class {j}") for j in range(k)]
        if [self.class_combo.itemText(i) for i in range(self.class_combo.count())] != names:
            current = self.class_combo.currentIndex()
            self.class_combo.clear()
            self.class_combo.addItems(names)
            self.class_combo.setCurrentIndex(max(0, min(current, len(names) - 1)) if names else -1)
        self.class_combo.setEnabled(drawable)
        if not drawable and self.act_draw_points.isChecked():
            self.set_drawing(False)  # the data changed to something points cannot be drawn in

    def add_point(self, x1: float, x2: float, label: int | None = None) -> bool:
        """A point of class `label` (default: the chosen class) at (x1, x2): the data becomes inline data with it."""
        label = self.class_combo.currentIndex() if label is None else int(label)
        points, labels, ds = self._points()
        if points is None:
            return False
        if not 0 <= label < max(2, ds.n_classes):
            self.window.report_error(f"there is no class {label} in this data")
            return False
        return self._request(np.vstack([points, [[x1, x2]]]), np.append(labels, label), ds)

    def remove_point(self, x1: float, x2: float) -> bool:
        """Remove the point nearest to (x1, x2) (measured as the plot shows the plane)."""
        points, labels, ds = self._points()
        if points is None:
            return False
        if len(points) <= 1:
            self.window.report_error("the last point stays: a data set needs at least one")
            return False
        x1min, x1max, x2min, x2max = ds.extent
        d = np.hypot((points[:, 0] - x1) / (x1max - x1min), (points[:, 1] - x2) / (x2max - x2min))
        keep = np.arange(len(points)) != int(np.argmin(d))
        return self._request(points[keep], labels[keep], ds)

    def _points(self):
        snap = self.window.snapshot
        ds = None if snap is None else snap.dataset
        if ds is None or ds.raw_train is None or ds.task == "regression":
            self.window.report_error("points are drawn on the decision boundary of classification data with "
                                     "2 inputs")
            return None, None, None
        points = np.concatenate([ds.raw_train, ds.raw_test])
        y = np.concatenate([ds.y_train, ds.y_test])
        labels = np.argmax(y, axis=1) if ds.task == "multiclass" else (y[:, 0] >= 0.5).astype(int)
        return points, labels, ds

    def _request(self, points: np.ndarray, labels: np.ndarray, ds) -> bool:
        """The config of the run with these points as its (inline) data, all of them training points."""
        cfg = self.window.snapshot.config
        k = max(2, ds.n_classes)
        y = tuple((float(v),) for v in labels) if ds.task == "binary" else \
            tuple(tuple(float(v) for v in row) for row in np.eye(k)[labels])
        data = replace(cfg.data, name="inline", x=tuple(tuple(float(v) for v in p) for p in points), y=y,
                       path=None, label=None, task=ds.task, test_fraction=0.0, standardization=None,
                       classes=k if ds.task == "multiclass" else cfg.data.classes)
        from ffviz.engine.config import validate
        try:
            new = validate(replace(cfg, data=data))
        except FfvizError as exc:
            self.window.report_error(str(exc))
            return False
        self.window.config_requested.emit(new)  # the data changes, the weights stay (Ctrl+S saves the points)
        return True


# ---------------------------------------------------------------- CSV preview

def csv_preview(path) -> dict:
    """What the import dialog shows: the columns, the first rows as text, the rows in all, and the task found
    (by the same reader training uses); any problem of the file is one FfvizError line."""
    from ffviz.engine.config import DataSpec
    from ffviz.engine.config import TASK_LABELS
    from ffviz.engine.datasets import build_dataset
    from ffviz.io.csv_data import preview_rows, read_csv_table
    table = read_csv_table(path)
    ds = build_dataset(DataSpec(name="csv", path=str(path), test_fraction=0.0), np.random.default_rng(0))
    rows = preview_rows(path, PREVIEW_ROWS + 1)
    task = TASK_LABELS[ds.task]
    if ds.task != "regression":
        names = ", ".join(ds.class_names) if ds.class_names else ", ".join(str(j) for j in range(ds.n_classes))
        task += f" ({ds.n_classes} classes: {names})"
    return {"path": str(path), "header": rows[0] if rows else [], "rows": rows[1:], "samples": ds.x_train.shape[0],
            "inputs": list(table.input_names), "label": table.label_name, "task": task}


class CsvPreviewDialog(QtWidgets.QDialog):
    """The first rows of a CSV file, its inputs and label, and the task ffviz found, before training on it."""

    def __init__(self, preview: dict, parent=None):
        super().__init__(parent)
        self.setWindowTitle(f"Import {Path(preview['path']).name}")
        lay = QtWidgets.QVBoxLayout(self)
        self.summary = QtWidgets.QLabel(
            f"{preview['samples']:,} rows · inputs: {', '.join(preview['inputs'])} · label: {preview['label']}"
            f"<br><b>Task found: {preview['task']}</b>")
        self.summary.setWordWrap(True)
        lay.addWidget(self.summary)
        header, rows = preview["header"], preview["rows"]
        self.table = QtWidgets.QTableWidget(len(rows), len(header))
        self.table.setHorizontalHeaderLabels(header)
        for i, row in enumerate(rows):
            for j, cell in enumerate(row[:len(header)]):
                self.table.setItem(i, j, QtWidgets.QTableWidgetItem(cell))
        self.table.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
        lay.addWidget(self.table)
        lay.addWidget(QtWidgets.QLabel("Inputs are standardised (z-scores of the training split); the input and "
                                       "output layers follow the file."))
        buttons = QtWidgets.QDialogButtonBox(QtWidgets.QDialogButtonBox.StandardButton.Ok
                                             | QtWidgets.QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QtWidgets.QDialogButtonBox.StandardButton.Ok).setText("Train on it")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        lay.addWidget(buttons)


# ---------------------------------------------------------------- export dialogs

class ExportDialog(QtWidgets.QDialog):
    """Which views, which formats, and how wide the PNGs are."""

    def __init__(self, window):
        super().__init__(window)
        from ffviz.ui.export import MAX_WIDTH, SLIDE_WIDTH
        from ffviz.ui.main_window import VIEWS
        self.setWindowTitle("Export views")
        form = QtWidgets.QFormLayout(self)
        self.checks = {}
        box = QtWidgets.QVBoxLayout()
        for entry in VIEWS:
            check = QtWidgets.QCheckBox(entry.title)
            check.setChecked(True)
            self.checks[entry.key] = check
            box.addWidget(check)
        form.addRow("Views", box)
        self.png = QtWidgets.QCheckBox("PNG")
        self.png.setChecked(True)
        self.svg = QtWidgets.QCheckBox("SVG (vectors: any size, opens in browsers, Inkscape, LibreOffice)")
        self.svg.setChecked(True)
        fmts = QtWidgets.QVBoxLayout()
        fmts.addWidget(self.png)
        fmts.addWidget(self.svg)
        form.addRow("Formats", fmts)
        self.width = QtWidgets.QSpinBox()
        self.width.setRange(100, MAX_WIDTH)
        self.width.setValue(SLIDE_WIDTH)
        self.width.setSuffix(" px wide")
        form.addRow("PNG size", self.width)
        buttons = QtWidgets.QDialogButtonBox(QtWidgets.QDialogButtonBox.StandardButton.Ok
                                             | QtWidgets.QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def keys(self) -> list[str]:
        return [k for k, c in self.checks.items() if c.isChecked()]

    def formats(self) -> tuple:
        return tuple(f for f, c in (("png", self.png), ("svg", self.svg)) if c.isChecked())

    def width_px(self) -> int:
        return int(self.width.value())


class AnimationDialog(QtWidgets.QDialog):
    """Which view, how many updates, a frame every how many, how wide, GIF or APNG."""

    def __init__(self, window):
        super().__init__(window)
        from ffviz.ui import animation
        from ffviz.ui.main_window import VIEWS
        self.setWindowTitle("Export animation")
        form = QtWidgets.QFormLayout(self)
        self.view = QtWidgets.QComboBox()
        for entry in VIEWS:
            self.view.addItem(entry.title, entry.key)
        snap = window.snapshot
        if snap is not None and snap.dataset.raw_train is not None:
            self.view.setCurrentIndex(max(0, self.view.findData("boundary")))
        form.addRow("View", self.view)
        self.n = QtWidgets.QSpinBox()
        self.n.setRange(1, 10_000_000)
        self.n.setValue(100)
        form.addRow("Updates", self.n)
        self.every = QtWidgets.QSpinBox()
        self.every.setRange(1, 1_000_000)
        self.every.setValue(1)
        form.addRow("A frame every", self.every)
        self.width = QtWidgets.QSpinBox()
        self.width.setRange(100, animation.MAX_WIDTH)
        self.width.setValue(animation.DEFAULT_WIDTH)
        self.width.setSuffix(" px wide")
        form.addRow("Size", self.width)
        self.fmt = QtWidgets.QComboBox()
        self.fmt.addItem("Animated GIF (slides, chat, wikis)", "gif")
        self.fmt.addItem("APNG (full colour; browsers)", "apng")
        form.addRow("Format", self.fmt)
        form.addRow(QtWidgets.QLabel("The run on screen is left as it is: a copy of it trains."))
        buttons = QtWidgets.QDialogButtonBox(QtWidgets.QDialogButtonBox.StandardButton.Ok
                                             | QtWidgets.QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def key(self) -> str:
        return self.view.currentData()

    def updates(self) -> int:
        return int(self.n.value())

    def stride(self) -> int:
        return int(self.every.value())

    def width_px(self) -> int:
        return int(self.width.value())

    def format(self) -> str:
        return self.fmt.currentData()
