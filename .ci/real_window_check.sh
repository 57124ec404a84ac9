#!/usr/bin/env bash
# The real-window check: the real app, on Qt's real xcb platform (not offscreen), in a virtual X screen with a
# window manager, closed the way a user closes it.
#
#   bash .ci/real_window_check.sh
#
# Starts Xvfb on a free display and matchbox-window-manager, launches the app, waits (up to 30 s) for its window to
# be visible, presses Space (play) and lets it train for 2 s, saves a screenshot, asks the window manager to close
# the window (wmctrl -c: the same WM_DELETE_WINDOW a click on the title bar's × sends), and then requires that
#   - the process exits by itself within 5 s, with status 0, and
#   - its output holds no "QThread: Destroyed while thread is still running", no Python traceback, no
#     "none_dealloc" (the PySide6 6.12.0 crash on Python 3.11) and no "Fatal Python error".
# Prints one PASS or FAIL line; exit status 0 on PASS.
#
# Environment:
#   FFVIZ_APP          the command to start (default: .venv/bin/ffviz), e.g. dist/ffviz/ffviz for a packaged build
#   FFVIZ_SCREENSHOT   where to save the screenshot (default: out/ci-window.png); the app's output goes beside it
#   FFVIZ_APP_ARGS     extra arguments for the app (e.g. a preset name), split on spaces
# Needs: Xvfb, matchbox-window-manager, xdotool, wmctrl; ImageMagick's `import` for the screenshot (else skipped).
set -uo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
APP=${FFVIZ_APP:-.venv/bin/ffviz}
SHOT=${FFVIZ_SCREENSHOT:-out/ci-window.png}
read -r -a APP_ARGS <<<"${FFVIZ_APP_ARGS:-}"
LOG="${SHOT%.png}.log"
WAIT_WINDOW_S=30
WAIT_EXIT_S=5

say() { printf 'real-window check: %s\n' "$*"; }
verdict_fail() {
  say "$*"
  if [ -s "$LOG" ]; then
    echo "--- the app's output ($LOG) ---"; tail -n 40 "$LOG"; echo "---"
  fi
  echo "FAIL: real-window check: $*"
  exit 1
}

for tool in Xvfb matchbox-window-manager xdotool wmctrl; do
  command -v "$tool" >/dev/null 2>&1 || verdict_fail "$tool is not installed (bash .ci/run installs it)"
done
[ -x "$APP" ] || verdict_fail "$APP is not an executable (bash .ci/run creates .venv)"

work=$(mktemp -d)
xvfb_pid=""; wm_pid=""; app_pid=""
cleanup() {
  # Only the processes this script started, by their ids.
  for pid in $app_pid $wm_pid $xvfb_pid; do
    kill "$pid" 2>/dev/null
  done
  for pid in $app_pid $wm_pid $xvfb_pid; do
    for _ in $(seq 1 20); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null
  done
  rm -rf "$work"
}
trap cleanup EXIT

# --- a virtual screen on a free display: Xvfb picks the number itself and writes it once it accepts clients
Xvfb -displayfd 3 -screen 0 1600x1000x24 -nolisten tcp 3>"$work/display" >"$work/xvfb.log" 2>&1 &
xvfb_pid=$!
for _ in $(seq 1 100); do
  [ -s "$work/display" ] && break
  kill -0 "$xvfb_pid" 2>/dev/null || { cat "$work/xvfb.log"; verdict_fail "Xvfb did not start"; }
  sleep 0.1
done
[ -s "$work/display" ] || verdict_fail "Xvfb did not report a display within 10 s"
export DISPLAY=":$(tr -dc '0-9' <"$work/display")"
say "Xvfb on $DISPLAY"

# --- a window manager, so that closing a window means what it means to a user
matchbox-window-manager -use_titlebar no >"$work/wm.log" 2>&1 &
wm_pid=$!
for _ in $(seq 1 50); do wmctrl -m >/dev/null 2>&1 && break; sleep 0.1; done
wmctrl -m >/dev/null 2>&1 || { cat "$work/wm.log"; verdict_fail "the window manager did not start"; }
say "window manager: $(wmctrl -m | sed -n 's/^Name: //p')"

# --- the app, on the real xcb platform; its settings and runtime files in a scratch folder, not the user's
mkdir -p "$(dirname "$SHOT")"
mkdir -m 700 "$work/runtime"
say "starting $APP ${APP_ARGS[*]:-}"
env -u QT_QPA_PLATFORM -u WAYLAND_DISPLAY QT_QPA_PLATFORM=xcb \
  XDG_CONFIG_HOME="$work/config" XDG_CACHE_HOME="$work/cache" XDG_RUNTIME_DIR="$work/runtime" \
  "$APP" "${APP_ARGS[@]}" >"$LOG" 2>&1 </dev/null &
app_pid=$!

win=""
start=$SECONDS
while [ $((SECONDS - start)) -lt $WAIT_WINDOW_S ]; do
  if ! kill -0 "$app_pid" 2>/dev/null; then
    wait "$app_pid"; rc=$?; app_pid=""
    verdict_fail "the app exited with status $rc before its window appeared"
  fi
  win=$(xdotool search --onlyvisible --pid "$app_pid" 2>/dev/null | tail -n 1)
  [ -n "$win" ] && break
  sleep 0.5
done
[ -n "$win" ] || verdict_fail "no visible window of the app within ${WAIT_WINDOW_S} s"
say "window $win visible after $((SECONDS - start)) s: \"$(xdotool getwindowname "$win" 2>/dev/null)\""
sleep 1  # let the first frame paint

# --- Space plays training; 2 s of it
xdotool windowactivate --sync "$win" >/dev/null 2>&1 || xdotool windowfocus --sync "$win" >/dev/null 2>&1
xdotool key --clearmodifiers space
sleep 2
if ! kill -0 "$app_pid" 2>/dev/null; then
  wait "$app_pid"; rc=$?; app_pid=""
  verdict_fail "the app died (status $rc) while training"
fi

if command -v import >/dev/null 2>&1 && import -window root "$SHOT" 2>/dev/null; then
  say "screenshot saved to $SHOT"
else
  say "no screenshot (ImageMagick's import is not installed)"
fi

# --- close every visible window of the app through the window manager, as a user does
wins=$(xdotool search --onlyvisible --pid "$app_pid" 2>/dev/null)
for w in $wins; do wmctrl -i -c "$w" || verdict_fail "wmctrl could not close window $w"; done
t0=$(date +%s.%N)
exited=""
for _ in $(seq 1 $((WAIT_EXIT_S * 10))); do
  kill -0 "$app_pid" 2>/dev/null || { exited=yes; break; }
  sleep 0.1
done
[ -n "$exited" ] || verdict_fail "the app was still running ${WAIT_EXIT_S} s after its window was closed"
wait "$app_pid"; rc=$?; app_pid=""
took=$(awk -v a="$(date +%s.%N)" -v b="$t0" 'BEGIN { printf "%.1f", a - b }')
say "the app exited with status $rc ${took} s after the close"

problems=()
grep -q "QThread: Destroyed while thread is still running" "$LOG" && problems+=("QThread destroyed while running")
grep -q "Traceback (most recent call last)" "$LOG" && problems+=("a Python traceback")
grep -q "none_dealloc" "$LOG" && problems+=("none_dealloc")
grep -q "Fatal Python error" "$LOG" && problems+=("a fatal Python error")
[ "$rc" -eq 0 ] || problems+=("exit status $rc")
if [ ${#problems[@]} -gt 0 ]; then
  printf -v joined '%s; ' "${problems[@]}"
  verdict_fail "${joined%; }"
fi
echo "PASS: real-window check: window shown, trained 2 s, closed by the window manager, exit 0 in ${took} s"
