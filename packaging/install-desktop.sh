#!/usr/bin/env bash
# Put ffviz into the desktop's application menu for the current user: the desktop entry, the AppStream
# metadata and the icons, under $XDG_DATA_HOME (default ~/.local/share). No root needed; nothing else changes.
#
#   bash packaging/install-desktop.sh                      # the menu item starts `ffviz` from PATH (pip install)
#   bash packaging/install-desktop.sh --exec "$PWD/dist/ffviz/ffviz"   # ... or this program (the bundle)
#   bash packaging/install-desktop.sh --uninstall          # remove exactly the files it installs
#
# Installs
#   applications/io.github.ffviz.desktop                    (Exec and TryExec set to the program)
#   metainfo/io.github.ffviz.metainfo.xml
#   icons/hicolor/<N>x<N>/apps/io.github.ffviz.png          (N = 16 … 512, from resources/icons/hicolor)
#   icons/hicolor/scalable/apps/io.github.ffviz.svg
# then refreshes the menu and icon caches when their tools are installed (desktops also notice by themselves).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
APP_ID=io.github.ffviz
DATA=${XDG_DATA_HOME:-$HOME/.local/share}
EXEC=ffviz
ACTION=install

fail() { printf 'install-desktop: %s\n' "$*" >&2; exit 1; }

while [ $# -gt 0 ]; do
  case "$1" in
    --exec) [ $# -ge 2 ] || fail "--exec needs a program"; EXEC=$2; shift 2 ;;
    --uninstall) ACTION=uninstall; shift ;;
    -h|--help) sed -n '2,15p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) fail "unknown option $1 (see --help)" ;;
  esac
done
case "$DATA" in /*) ;; *) fail "XDG_DATA_HOME must be an absolute path, not $DATA" ;; esac

# Every file, as "source destination"; uninstall removes the same list.
files=(
  "packaging/$APP_ID.desktop applications/$APP_ID.desktop"
  "packaging/$APP_ID.metainfo.xml metainfo/$APP_ID.metainfo.xml"
  "resources/icons/ffviz.svg icons/hicolor/scalable/apps/$APP_ID.svg"
)
for png in resources/icons/hicolor/*/apps/"$APP_ID".png; do
  [ -f "$png" ] || fail "no PNG icons in resources/icons/hicolor (python packaging/render_icons.py)"
  files+=("$png ${png#resources/}")
done

refresh() {
  if command -v update-desktop-database >/dev/null 2>&1; then
    update-desktop-database -q "$DATA/applications" 2>/dev/null || true
  fi
  if command -v gtk-update-icon-cache >/dev/null 2>&1 && [ -f "$DATA/icons/hicolor/index.theme" ]; then
    gtk-update-icon-cache -q -t "$DATA/icons/hicolor" 2>/dev/null || true
  fi
}

if [ "$ACTION" = uninstall ]; then
  removed=0
  for pair in "${files[@]}"; do
    target="$DATA/${pair#* }"
    if [ -e "$target" ]; then rm -f "$target"; removed=$((removed + 1)); fi
  done
  refresh
  echo "install-desktop: removed $removed files from $DATA"
  exit 0
fi

# The desktop entry's Exec: a program name found on PATH, or an absolute path to one (the bundle).
case "$EXEC" in
  */*) case "$EXEC" in /*) ;; *) EXEC="$(pwd)/$EXEC" ;; esac
       [ -x "$EXEC" ] || fail "$EXEC is not an executable program" ;;
  *) command -v "$EXEC" >/dev/null 2>&1 \
       || echo "install-desktop: note: $EXEC is not on PATH now; the menu item stays hidden until it is" ;;
esac
# Quoted as the desktop entry specification asks; the few characters it would need escaped are refused instead.
case "$EXEC" in *[\"\`\$\\]*) fail "the program's path must not contain \" \` \$ or \\: $EXEC" ;; esac
case "$EXEC" in *" "*) exec_value="\"$EXEC\"" ;; *) exec_value=$EXEC ;; esac

for pair in "${files[@]}"; do
  source=${pair% *}
  target="$DATA/${pair#* }"
  mkdir -p "$(dirname "$target")"
  if [ "$source" = "packaging/$APP_ID.desktop" ]; then
    sed -e "s|^Exec=.*|Exec=$exec_value --errors-in-window %f|" -e "s|^TryExec=.*|TryExec=$EXEC|" "$source" >"$target.tmp"
    mv -f "$target.tmp" "$target"
  else
    install -m 644 "$source" "$target"
  fi
done
refresh
echo "install-desktop: installed ${#files[@]} files into $DATA (the menu item starts $EXEC)"
