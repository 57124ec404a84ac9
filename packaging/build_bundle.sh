#!/usr/bin/env bash
# Build the one-folder app (dist/ffviz/) with packaging/ffviz.spec, measure it, and smoke-test the result.
#
#   bash packaging/build_bundle.sh          # from anywhere; uses the repository's .venv unless PYTHON is set
#
# Steps: PyInstaller (the venv must have ffviz and pyinstaller: `.venv/bin/pip install pyinstaller`), the size
# of dist/ffviz against MAX_MB, then `dist/ffviz/ffviz --smoke-test` (window offscreen, steps, plays in the
# training process, exports every view). Exits non-zero, with one line saying why, if any step fails.
#
# Environment:
#   PYTHON            the Python that has ffviz and PyInstaller installed (default: .venv/bin/python)
#   FFVIZ_BUNDLE_MAX_MB  the size budget in MB of 10^6 bytes (default 150, issue 14's target)
# Needs: binutils (strip, as, ld) and icupkg (Debian: icu-devtools) to make the bundle small; without them
# the build still works, and the size check says how far over it is.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
PYTHON=${PYTHON:-.venv/bin/python}
MAX_MB=${FFVIZ_BUNDLE_MAX_MB:-150}

fail() { printf 'build_bundle: FAILED: %s\n' "$*" >&2; exit 1; }

[ -x "$PYTHON" ] || fail "$PYTHON is not an executable (python3 -m venv .venv && .venv/bin/pip install -e .)"
"$PYTHON" -c "import ffviz" 2>/dev/null || fail "$PYTHON cannot import ffviz (.venv/bin/pip install -e .)"
"$PYTHON" -c "import PyInstaller" 2>/dev/null || fail "$PYTHON has no PyInstaller (.venv/bin/pip install pyinstaller)"
for tool in strip as ld icupkg; do
  command -v "$tool" >/dev/null 2>&1 \
    || echo "build_bundle: $tool is not installed (Debian: binutils, icu-devtools): the bundle will be larger"
done

log=$(mktemp)
trap 'rm -f "$log"' EXIT
echo "build_bundle: PyInstaller $("$PYTHON" -c 'import PyInstaller; print(PyInstaller.__version__)') ..."
t0=$SECONDS
# --noconfirm: replace an earlier dist/ffviz. PyInstaller's warnings about pyqtgraph.opengl (PyOpenGL is not
# installed) and the GTK theme's libraries (the spec leaves that plugin out) are expected; see packaging/README.md.
if ! "$PYTHON" -m PyInstaller --noconfirm --log-level WARN --distpath dist --workpath build \
     packaging/ffviz.spec >"$log" 2>&1; then
  tail -n 30 "$log" >&2
  fail "PyInstaller did not build the bundle"
fi
grep -E "^(ICU data|WARNING: bundling)" "$log" | sed 's/^/build_bundle: /' || true
echo "build_bundle: built dist/ffviz in $((SECONDS - t0)) s"

bytes=$(du -sb dist/ffviz | cut -f1)
files=$(find dist/ffviz -type f | wc -l)
mb=$(awk -v b="$bytes" 'BEGIN { printf "%.1f", b / 1e6 }')
echo "build_bundle: size $mb MB ($(du -sh dist/ffviz | cut -f1) as du -sh says), $files files; budget $MAX_MB MB"
awk -v b="$bytes" -v m="$MAX_MB" 'BEGIN { exit !(b <= m * 1e6) }' \
  || fail "dist/ffviz is $mb MB, over the $MAX_MB MB budget (see the lists in packaging/ffviz.spec)"

echo "build_bundle: dist/ffviz/ffviz --smoke-test ..."
dist/ffviz/ffviz --smoke-test </dev/null || fail "the bundle's smoke test failed"
echo "build_bundle: OK: dist/ffviz ($mb MB) passes its smoke test"
