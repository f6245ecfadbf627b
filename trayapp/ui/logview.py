"""`python -m trayapp.ui.logview [--program NAME | --file PATH]`: the log viewer, its own process.

It reads log files directly (trayapp.logs.read): the last 1,000 lines by reading backwards from the
end, then follows the live file across rotations. Rotated .gz files open too. Search with
next/previous, filters for stderr only and for errors/warnings, highlighting, copy, and
"Open in system viewer".

Threads: Tk on the main thread; one follower thread feeds new lines through a queue that the
Tk loop drains, so a busy log never freezes the window.
"""

from __future__ import annotations

import argparse
import queue
import sys
import threading
import tkinter as tk
from collections import deque
from collections.abc import Iterable
from pathlib import Path
from tkinter import ttk

from trayapp.paths import AppPaths
from trayapp.ui.launch import open_path
from trayapp.ui.logfilter import Line, keep, parse, tags

TAIL = 1000  # lines shown on opening
KEEP = 20_000  # lines kept in memory while following
COLOURS = {"error": ("#b42318", "#fde8e8"), "warning": ("#7a4d00", "#fff4d6")}


def load_tail(path: Path, n: int = TAIL) -> list[Line]:
    """The last `n` lines of a log, parsed. Never reads a plain file whole; a .gz is streamed once."""
    from trayapp.logs import read as logread

    if path.suffix == ".gz":
        with logread.open_any(path) as f:
            raws: Iterable[str] = deque(f, maxlen=n)
    else:
        raws = logread.tail(path, n)
    return [parse(raw, logread.parse_line) for raw in raws]


def log_files(paths: AppPaths, program: str) -> list[Path]:
    """The live log first, then its rotated files (newest first)."""
    from trayapp.logs import read as logread

    live = paths.program_log(program)
    return [live, *(p for p in logread.rotated_files(live) if p != live)]


class LogView:
    def __init__(self, root: tk.Tk, files: list[Path]) -> None:
        self.root, self.files = root, files
        self.lines: deque[Line] = deque(maxlen=KEEP)
        self.inbox: queue.SimpleQueue[str] = queue.SimpleQueue()
        self.stop_follow = threading.Event()
        self.current = files[0]
        self.matches: list[str] = []
        self.match_at = -1
        self._last_query: str | None = None  # what the matches were marked for
        self._build()
        self.open(self.current)
        self.drain()

    # -- layout -------------------------------------------------------------------------------

    def _build(self) -> None:
        self.root.title(f"trayapp — {self.current.name}")
        bar = ttk.Frame(self.root, padding=(8, 6))
        bar.pack(fill="x")
        self.file_choice = ttk.Combobox(bar, values=[str(p) for p in self.files], width=48, state="readonly")
        self.file_choice.set(str(self.current))
        self.file_choice.bind("<<ComboboxSelected>>", lambda _: self.open(Path(self.file_choice.get())))
        self.file_choice.pack(side="left")
        self.follow = tk.BooleanVar(value=True)
        self.stderr_only = tk.BooleanVar(value=False)
        self.problems_only = tk.BooleanVar(value=False)
        ttk.Checkbutton(bar, text="Follow", variable=self.follow).pack(side="left", padx=(8, 0))
        for text, var in (("stderr only", self.stderr_only), ("errors/warnings only", self.problems_only)):
            ttk.Checkbutton(bar, text=text, variable=var, command=self.render).pack(side="left", padx=(8, 0))
        ttk.Button(bar, text="Open in system viewer", command=self.open_external).pack(side="right")
        ttk.Button(bar, text="Copy", command=self.copy).pack(side="right", padx=6)
        self._build_search()
        self._build_text()

    def _build_search(self) -> None:
        row = ttk.Frame(self.root, padding=(8, 0, 8, 6))
        row.pack(fill="x")
        ttk.Label(row, text="Search:").pack(side="left")
        self.query = tk.StringVar()
        entry = ttk.Entry(row, textvariable=self.query, width=32)
        entry.pack(side="left", padx=4)
        entry.bind("<Return>", lambda _: self.find(+1))
        entry.bind("<Shift-Return>", lambda _: self.find(-1))
        ttk.Button(row, text="Previous", command=lambda: self.find(-1)).pack(side="left")
        ttk.Button(row, text="Next", command=lambda: self.find(+1)).pack(side="left", padx=4)
        self.found = ttk.Label(row, foreground="#555555")
        self.found.pack(side="left", padx=8)
        self.state_note = ttk.Label(row, foreground="#555555")
        self.state_note.pack(side="right")

    def _build_text(self) -> None:
        frame = ttk.Frame(self.root)
        frame.pack(fill="both", expand=True)
        self.text = tk.Text(frame, wrap="none", width=120, height=32, font=("TkFixedFont", 9), undo=False)
        scroll = ttk.Scrollbar(frame, command=self.text.yview)
        self.text.configure(yscrollcommand=scroll.set)
        scroll.pack(side="right", fill="y")
        self.text.pack(side="left", fill="both", expand=True)
        for level, (fg, bg) in COLOURS.items():
            self.text.tag_configure(level, foreground=fg, background=bg)
        self.text.tag_configure("stderr", font=("TkFixedFont", 9, "bold"))
        self.text.tag_configure("match", background="#ffe066")
        self.text.tag_configure("current", background="#ff9f1c")
        self.text.tag_raise("sel")
        # Read-only, but selectable and copyable: swallow keys that would edit.
        self.text.bind("<Key>", _swallow_edits)
        self.text.bind("<Control-c>", self._copy_key)

    def _copy_key(self, _: tk.Event[tk.Text]) -> str:
        self.copy()
        return "break"  # Tk's own binding must not run as well

    # -- content ------------------------------------------------------------------------------

    def open(self, path: Path) -> None:
        self.stop_follow.set()
        self.current = path
        self.root.title(f"trayapp — {path.name}")
        self.lines.clear()
        try:
            self.lines.extend(load_tail(path))
            note = f"last {len(self.lines)} lines of {path}"
        except FileNotFoundError:
            note = f"{path} does not exist yet; waiting for the program to write"
        except OSError as exc:
            note = f"cannot read {path}: {exc}"
        self.state_note.configure(text=note)
        self.render()
        if path.suffix != ".gz":  # rotated files do not grow
            self.stop_follow = threading.Event()
            threading.Thread(target=self._follow, args=(path, self.stop_follow), daemon=True).start()

    def _follow(self, path: Path, stop: threading.Event) -> None:
        from trayapp.logs import read as logread

        try:
            for raw in logread.follow(path, stop):
                self.inbox.put(raw)
        except Exception as exc:  # the viewer stays useful without following
            self.inbox.put(f"\x00follow stopped: {exc}")

    def render(self) -> None:
        self.text.delete("1.0", "end")
        shown = [line for line in self.lines if self._keep(line)]
        for line in shown:
            self.text.insert("end", line.raw + "\n", tags(line))
        self.text.see("end")
        self._mark_matches()

    def _keep(self, line: Line) -> bool:
        return keep(line, self.stderr_only.get(), self.problems_only.get())

    def drain(self) -> None:
        from trayapp.logs import read as logread

        added = 0
        while added < 2000:  # at most this many per tick keeps the window responsive
            try:
                raw = self.inbox.get_nowait()
            except queue.Empty:
                break
            if raw.startswith("\x00"):
                self.state_note.configure(text=raw[1:])
                continue
            added += self._append(parse(raw, logread.parse_line))
        if added and self.follow.get():
            self.text.see("end")
        self.root.after(200, self.drain)

    def _append(self, line: Line) -> int:
        self.lines.append(line)
        if not self._keep(line):
            return 0
        self.text.insert("end", line.raw + "\n", tags(line))
        if int(self.text.index("end-1c").split(".")[0]) > KEEP:
            self.text.delete("1.0", "2.0")
        return 1

    # -- search, copy, open ---------------------------------------------------------------------

    def _mark_matches(self) -> None:
        self.text.tag_remove("match", "1.0", "end")
        self.text.tag_remove("current", "1.0", "end")
        self.matches, self.match_at = [], -1
        needle = self.query.get()
        if not needle:
            self.found.configure(text="")
            return
        start = "1.0"
        while True:
            at = self.text.search(needle, start, stopindex="end", nocase=True)
            if not at:
                break
            end = f"{at}+{len(needle)}c"
            self.text.tag_add("match", at, end)
            self.matches.append(at)
            start = end
        self.found.configure(text=f"{len(self.matches)} matches" if self.matches else "no match")

    def find(self, step: int) -> None:
        """Jump to the next (+1) or previous (-1) match, wrapping around."""
        if not self.matches or self.query.get() != self._last_query:
            self._last_query = self.query.get()
            self._mark_matches()
            self.match_at = len(self.matches) if step < 0 else -1
        if not self.matches:
            return
        self.match_at = (self.match_at + step) % len(self.matches)
        at = self.matches[self.match_at]
        self.text.tag_remove("current", "1.0", "end")
        self.text.tag_add("current", at, f"{at}+{len(self.query.get())}c")
        self.text.see(at)
        self.follow.set(False)  # the user is reading; do not scroll away from the match
        self.found.configure(text=f"{self.match_at + 1} of {len(self.matches)}")

    def copy(self) -> None:
        try:
            selected = self.text.get("sel.first", "sel.last")
        except tk.TclError:
            return
        self.root.clipboard_clear()
        self.root.clipboard_append(selected)

    def open_external(self) -> None:
        problem = open_path(self.current)
        self.state_note.configure(text=problem or f"opened {self.current.name} in the system viewer")

    def close(self) -> None:
        self.stop_follow.set()
        self.root.destroy()


_NAV_KEYS = {"Up", "Down", "Left", "Right", "Prior", "Next", "Home", "End", "Shift_L", "Shift_R"}
_CONTROL = 0x4  # the Control bit of a key event's modifier state


def _swallow_edits(event: tk.Event[tk.Text]) -> str | None:
    """Keep the text read-only: Control shortcuts (copy, select all) and moving about pass, the rest stops."""
    with_control = isinstance(event.state, int) and bool(event.state & _CONTROL)
    return None if with_control or event.keysym in _NAV_KEYS else "break"


def _files(args: argparse.Namespace, paths: AppPaths) -> list[Path]:
    if args.file:
        return [Path(args.file).expanduser()]
    program = args.program
    if not program:
        from trayapp.config import load
        from trayapp.errors import TrayAppError

        try:
            program = load(paths.config_file).assistant.name
        except TrayAppError:
            program = "assistant"
    try:
        return log_files(paths, program)
    except OSError:
        return [paths.program_log(program)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m trayapp.ui.logview",
                                     description="trayapp's log viewer: follows a program's log.")
    parser.add_argument("--program", help="program name from config.toml (default: the assistant)")
    parser.add_argument("--file", help="open this log file instead (a rotated .gz works too)")
    args = parser.parse_args(argv)
    paths = AppPaths.discover()
    root = tk.Tk(className="trayapp")
    view = LogView(root, _files(args, paths))
    root.protocol("WM_DELETE_WINDOW", view.close)
    root.mainloop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
