#!/bin/sh
# Install trayapp for the current user only (never sudo), from this checkout:
#   installers/linux/install.sh [--pipx | --venv DIR] [--autostart]
# --pipx (the default when pipx is on PATH): pipx install --system-site-packages <checkout>
# --venv DIR (default ~/.local/share/trayapp/venv): a venv there, linked as ~/.local/bin/trayapp
# --autostart: also start trayapp at login (trayapp autostart enable)
# Both ways use --system-site-packages so the distro's PyGObject (python3-gi) is found: pystray needs it
# for a tray icon with a menu. Then the application-menu entry and the icons are installed.
# Extra pip arguments (e.g. for offline tests): TRAYAPP_PIP_ARGS="--no-deps --no-index".
set -eu

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
DATA=${XDG_DATA_HOME:-$HOME/.local/share}
VENV="$DATA/trayapp/venv"
BIN="$HOME/.local/bin"
MODE=auto
AUTOSTART=0

while [ $# -gt 0 ]; do
    case "$1" in
        --pipx) MODE=pipx ;;
        --venv) MODE=venv; VENV=${2:?--venv needs a folder}; shift ;;
        --autostart) AUTOSTART=1 ;;
        -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
        *) echo "install.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
    shift
done

if [ "$MODE" = auto ]; then
    if command -v pipx >/dev/null 2>&1; then MODE=pipx; else MODE=venv; fi
fi

if [ "$MODE" = pipx ]; then
    # shellcheck disable=SC2086
    pipx install --force --system-site-packages ${TRAYAPP_PIP_ARGS:+--pip-args="$TRAYAPP_PIP_ARGS"} "$ROOT"
    TRAYAPP="${PIPX_BIN_DIR:-$BIN}/trayapp"
else
    python3 -m venv --system-site-packages "$VENV"
    # shellcheck disable=SC2086
    "$VENV/bin/python" -m pip install --quiet --upgrade ${TRAYAPP_PIP_ARGS:-} "$ROOT"
    mkdir -p "$BIN"
    ln -sfn "$VENV/bin/trayapp" "$BIN/trayapp"
    TRAYAPP="$VENV/bin/trayapp"
fi

"$TRAYAPP" autostart install-menu --icons "$ROOT/assets"
if [ "$AUTOSTART" = 1 ]; then
    "$TRAYAPP" autostart enable
fi
echo "trayapp is installed ($MODE): $TRAYAPP"
case ":$PATH:" in
    *":$BIN:"*) ;;
    *) echo "note: $BIN is not on your PATH; add it, or run $TRAYAPP directly" ;;
esac
echo "start it from the application menu, or run: trayapp"
