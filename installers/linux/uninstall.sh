#!/bin/sh
# Remove trayapp for the current user: the login item, the menu entry and icons, then the program.
#   installers/linux/uninstall.sh [--venv DIR]
# Your config, logs and backups are kept; their folders are printed at the end (delete them by hand
# if you want them gone too).
set -eu

DATA=${XDG_DATA_HOME:-$HOME/.local/share}
VENV="$DATA/trayapp/venv"
BIN="$HOME/.local/bin"
case "${1:-}" in
    --venv) VENV=${2:?--venv needs a folder} ;;
    -h|--help) sed -n '2,5p' "$0"; exit 0 ;;
    "") ;;
    *) echo "uninstall.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
esac

if [ -x "$VENV/bin/trayapp" ]; then
    TRAYAPP="$VENV/bin/trayapp"
else
    TRAYAPP=$(command -v trayapp || true)
fi
KEPT=""
if [ -n "$TRAYAPP" ]; then
    "$TRAYAPP" autostart disable
    "$TRAYAPP" autostart uninstall-menu
    KEPT=$("$TRAYAPP" config path 2>/dev/null || true)
fi

if command -v pipx >/dev/null 2>&1 && pipx list --short 2>/dev/null | grep -q '^trayapp '; then
    pipx uninstall trayapp
fi
if [ -d "$VENV" ]; then
    rm -rf "$VENV"
    rmdir "$(dirname "$VENV")" 2>/dev/null || true
fi
if [ -L "$BIN/trayapp" ] && [ ! -e "$BIN/trayapp" ]; then
    rm -f "$BIN/trayapp"  # our link, now dangling
fi
echo "trayapp is uninstalled."
[ -n "$KEPT" ] && echo "kept your configuration ($KEPT), logs and backups; remove them by hand if you wish."
exit 0
