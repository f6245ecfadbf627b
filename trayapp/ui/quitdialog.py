"""`python -m trayapp.ui.quitdialog`: asks whether Quit should also stop the assistant.

A separate process, so that the tray's GUI thread never waits for an answer. The answer goes to
the running instance over the control channel (`quit {stop_programs}`).
"""

from __future__ import annotations

import sys
import tkinter as tk
from collections.abc import Callable

from trayapp.control import request
from trayapp.errors import TrayAppError
from trayapp.paths import AppPaths

QUESTION = "Quit trayapp?"
DETAIL = "Stop the assistant too, or leave it running without trayapp looking after it?"


def ask(root: tk.Tk, names: str, answer: Callable[[bool | None], None]) -> None:
    """Build the three-button dialog in `root`; `answer(True|False|None)` on a click (None: cancel)."""
    root.title(QUESTION)
    root.resizable(False, False)
    tk.Label(root, text=QUESTION, font=("TkDefaultFont", 12, "bold")).pack(padx=16, pady=(14, 4), anchor="w")
    tk.Label(root, text=DETAIL.replace("the assistant", names), wraplength=380, justify="left").pack(padx=16, anchor="w")
    row = tk.Frame(root)
    row.pack(padx=16, pady=14, fill="x")
    tk.Button(row, text=f"Stop {names} and quit", command=lambda: answer(True)).pack(side="left")
    tk.Button(row, text="Leave running and quit", command=lambda: answer(False)).pack(side="left", padx=8)
    tk.Button(row, text="Cancel", command=lambda: answer(None)).pack(side="right")
    root.bind("<Escape>", lambda _: answer(None))
    root.protocol("WM_DELETE_WINDOW", lambda: answer(None))


def _names(paths: AppPaths) -> str:
    try:
        programs = request(paths, "status", timeout=3)["programs"]
        return ", ".join(p["display_name"] for p in programs) or "the assistant"
    except (TrayAppError, KeyError, TypeError):
        return "the assistant"


def main(argv: list[str] | None = None) -> int:
    paths = AppPaths.discover()
    root = tk.Tk(className="trayapp")
    outcome: dict[str, int] = {"code": 0}

    def answer(stop: bool | None) -> None:
        if stop is not None:
            try:
                request(paths, "quit", stop_programs=stop)
            except TrayAppError as exc:
                print(f"trayapp: {exc}", file=sys.stderr)
                outcome["code"] = 1
        root.destroy()

    ask(root, _names(paths), answer)
    root.mainloop()
    return outcome["code"]


if __name__ == "__main__":
    sys.exit(main())
