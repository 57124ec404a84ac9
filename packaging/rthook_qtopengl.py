# PyInstaller runtime hook (packaging/ffviz.spec): runs in the bundle before ffviz starts.
#
# pyqtgraph imports PySide6.QtOpenGL when it loads (for its optional OpenGL curves and meshes) but uses it only
# when OpenGL drawing is switched on, which ffviz never does; the 3-D view (pyqtgraph.opengl) is not bundled.
# Its bindings are 8.9 MB of the 150 MB budget, so the bundle leaves them out and this stands in for the module:
# importing it works, and anything taken from it raises an AttributeError that says why.
import sys
import types


def _install() -> None:
    stand_in = types.ModuleType("PySide6.QtOpenGL")
    stand_in.__doc__ = "A stand-in: this build of ffviz has no Qt OpenGL bindings (packaging/rthook_qtopengl.py)"

    def __getattr__(name):
        if name.startswith("__"):
            raise AttributeError(name)
        # An AttributeError, as a module's missing name is: hasattr() and getattr(..., default) probes answer
        # "not there", and a use says what is missing
        raise AttributeError(f"PySide6.QtOpenGL.{name}: this build of ffviz leaves out Qt's OpenGL bindings "
                             "(no OpenGL drawing); the 2-D views need none")

    stand_in.__getattr__ = __getattr__
    sys.modules.setdefault("PySide6.QtOpenGL", stand_in)


_install()
