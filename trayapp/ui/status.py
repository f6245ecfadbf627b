"""`python -m trayapp.ui.status`: the status window, a separate process talking to the running trayapp.

Per program: state, pid, uptime, restarts, last exit and cause, health, memory and CPU with a chart
of the last hour; the last 20 journal events; and every action the tray menu has. It is the whole
UI where the tray has no menu (pystray's xorg backend), so nothing is reachable only by menu.

Threads: Tk runs on the main thread. Requests to the running instance run on worker threads and
hand their results back through a queue that the Tk loop drains (`after`), so the window never
freezes while trayapp is busy or gone.
"""

from __future__ import annotations

import argparse
import queue
import sys
import threading
import time
import tkinter as tk
from collections.abc import Callable
from functools import partial
from pathlib import Path
from tkinter import messagebox, ttk
from typing import Any

from trayapp.control import request
from trayapp.errors import TrayAppError
from trayapp.paths import AppPaths
from trayapp.status import Status
from trayapp.tray.icons import render
from trayapp.tray.view import program_view
from trayapp.triage.report import render_text
from trayapp.ui import chart
from trayapp.ui.chart import Sample
from trayapp.ui.fields import event_line, rows
from trayapp.ui.launch import config_target, data_folder, open_path, spawn_window

REFRESH = 2.0  # seconds between polls while the window is open
CHART_W, CHART_H = 320, 90
MEMORY_COLOUR, CPU_COLOUR = "#2f6fde", "#d9822b"


class Link:
    """Talks to the running instance off the Tk thread; results come back through `inbox`."""

    def __init__(self, paths: AppPaths) -> None:
        self.paths = paths
        self.inbox: queue.SimpleQueue[tuple[str, Any]] = queue.SimpleQueue()

    def ask(self, kind: str, cmd: str, **args: Any) -> None:
        def job() -> None:
            try:
                self.inbox.put((kind, request(self.paths, cmd, timeout=5, **args)))
            except TrayAppError as exc:
                self.inbox.put(("error:" + kind, str(exc)))

        threading.Thread(target=job, name=f"ask-{cmd}", daemon=True).start()


class ProgramPanel:
    """One program's frame: headline, field rows, chart, buttons."""

    def __init__(self, parent: tk.Widget, name: str, act: Callable[[str, str], None]) -> None:
        self.name = name
        self.frame = ttk.LabelFrame(parent, text=name, padding=8)
        self.headline = ttk.Label(self.frame, font=("TkDefaultFont", 11, "bold"), compound="left")
        self.headline.grid(row=0, column=0, columnspan=2, sticky="w", pady=(0, 6))
        self.values: dict[str, ttk.Label] = {}
        self.fields = ttk.Frame(self.frame)
        self.fields.grid(row=1, column=0, sticky="nw")
        self.canvas = tk.Canvas(self.frame, width=CHART_W, height=CHART_H, background="#ffffff",
                                highlightthickness=1, highlightbackground="#bbbbbb")
        self.canvas.grid(row=1, column=1, sticky="ne", padx=(12, 0))
        self.legend = ttk.Label(self.frame, foreground="#555555")
        self.legend.grid(row=2, column=1, sticky="e")
        buttons = ttk.Frame(self.frame)
        buttons.grid(row=3, column=0, columnspan=2, sticky="w", pady=(8, 0))
        self.buttons = {label: ttk.Button(buttons, text=label, command=partial(act, cmd, name))
                        for label, cmd in (("Start", "start"), ("Stop", "stop"), ("Restart", "restart"),
                                           ("View logs", "logs"))}
        for button in self.buttons.values():
            button.pack(side="left", padx=(0, 6))
        self.copy = ttk.Button(buttons, text="Copy crash report", command=self.copy_crash)
        self.copy.pack(side="left", padx=(0, 6))
        self._crash = ""
        self._image: tk.PhotoImage | None = None

    def copy_crash(self) -> None:
        """The last crash report, whole, on the clipboard: for an issue or a chat with a helper."""
        if self._crash:
            self.frame.clipboard_clear()
            self.frame.clipboard_append(self._crash)

    def show(self, status: Status, samples: list[Sample], now: float) -> None:
        view = program_view(status, now)
        self.frame.configure(text=status.display_name)
        self._image = _photo(self.frame, view.icon_key)
        self.headline.configure(text=f" {view.phrase}", image=self._image)
        for i, (label, value) in enumerate(rows(status, now)):
            if label not in self.values:
                ttk.Label(self.fields, text=label + ":", foreground="#555555").grid(row=i, column=0, sticky="nw")
                self.values[label] = ttk.Label(self.fields, wraplength=330, justify="left")
                self.values[label].grid(row=i, column=1, sticky="nw", padx=(6, 0))
            self.values[label].configure(text=value)
        for label, allowed in (("Start", view.can_start), ("Stop", view.can_stop), ("Restart", view.can_restart)):
            self.buttons[label].state(["!disabled"] if allowed else ["disabled"])
        self._crash = render_text(status.last_crash, status.display_name) if status.last_crash else ""
        self.copy.state(["!disabled"] if self._crash else ["disabled"])
        self._draw_chart(samples, now)

    def _draw_chart(self, samples: list[Sample], now: float) -> None:
        c = self.canvas
        c.delete("all")
        for x in range(0, CHART_W, CHART_W // 6):  # a grid line every 10 minutes
            c.create_line(x, 0, x, CHART_H, fill="#eeeeee")
        memory = chart.polyline(samples, 1, now, CHART_W, CHART_H)
        cpu = chart.polyline(samples, 2, now, CHART_W, CHART_H, top=100.0)
        for line, colour in ((memory, MEMORY_COLOUR), (cpu, CPU_COLOUR)):
            if len(line) >= 4:
                c.create_line(*line, fill=colour, width=2)
            elif len(line) == 2:
                c.create_oval(line[0] - 2, line[1] - 2, line[0] + 2, line[1] + 2, fill=colour, outline=colour)
        if not memory and not cpu:
            c.create_text(CHART_W // 2, CHART_H // 2, text="no samples yet", fill="#888888")
        top = chart.peak(samples, 1, now)
        self.legend.configure(text="last hour — memory (blue, peak "
                              f"{_size(top)}), CPU (orange, 0–100%)")


def _size(n: float | None) -> str:
    from trayapp.units import format_size

    return "—" if n is None else format_size(n)


_PHOTOS: dict[str, tk.PhotoImage] = {}


def _photo(master: tk.Widget, key: str) -> tk.PhotoImage:
    if key not in _PHOTOS:
        import base64
        import io

        buffer = io.BytesIO()
        render(key, 22).save(buffer, format="PNG")
        _PHOTOS[key] = tk.PhotoImage(master=master, data=base64.b64encode(buffer.getvalue()))
    return _PHOTOS[key]


class StatusWindow:
    def __init__(self, root: tk.Tk, paths: AppPaths, on_quit: str) -> None:
        self.root, self.paths, self.on_quit = root, paths, on_quit
        self.link = Link(paths)
        self.panels: dict[str, ProgramPanel] = {}
        self.names: dict[str, str] = {}  # config key -> display name, from the last status
        self.samples: dict[str, list[Sample]] = {}
        self.paused = False
        root.title("trayapp — status")
        self.banner = ttk.Label(root, foreground="#b42318", wraplength=680)
        self.banner.pack(fill="x", padx=10, pady=(8, 0))
        self.body = ttk.Frame(root)
        self.body.pack(fill="both", expand=True, padx=10, pady=6)
        events = ttk.LabelFrame(root, text="Recent events", padding=6)
        events.pack(fill="both", expand=True, padx=10)
        self.events = tk.Text(events, height=12, width=96, wrap="none", font=("TkFixedFont", 9))
        self.events.pack(fill="both", expand=True)
        self.events.configure(state="disabled")
        self._build_footer()
        self.metrics_asked = False
        self.poll()
        self.drain()

    def _build_footer(self) -> None:
        row = ttk.Frame(self.root)
        row.pack(fill="x", padx=10, pady=8)
        ttk.Button(row, text="Back up now", command=lambda: self.link.ask("action", "backup")).pack(side="left")
        ttk.Button(row, text="Diagnostics…", command=self.diagnostics).pack(side="left", padx=6)
        ttk.Button(row, text="Open data folder", command=self.open_data).pack(side="left")
        ttk.Button(row, text="Open config file", command=lambda: self._open(config_target(self.paths))).pack(side="left", padx=6)
        self.pause_button = ttk.Button(row, text="Pause notifications for 1 hour", command=self.toggle_pause)
        self.pause_button.pack(side="left")
        self.autostart = tk.BooleanVar(value=False)
        self.autostart_box = ttk.Checkbutton(row, text="Start at login", variable=self.autostart,
                                             command=self.toggle_autostart)
        self.autostart_box.pack(side="left", padx=6)
        ttk.Button(row, text="Quit trayapp…", command=self.quit_trayapp).pack(side="right")
        self.note = ttk.Label(self.root, foreground="#555555")
        self.note.pack(fill="x", padx=10, pady=(0, 6))
        threading.Thread(target=self._read_autostart, daemon=True).start()

    # -- polling ------------------------------------------------------------------------------

    def poll(self) -> None:
        self.link.ask("status", "status")
        self.link.ask("history", "history", n=20)
        if not self.metrics_asked:
            self.link.ask("metrics", "metrics")
        self.root.after(int(REFRESH * 1000), self.poll)

    def drain(self) -> None:
        while True:
            try:
                kind, result = self.link.inbox.get_nowait()
            except queue.Empty:
                break
            self.receive(kind, result)
        self.root.after(150, self.drain)

    def receive(self, kind: str, result: Any) -> None:
        handlers: dict[str, Callable[[Any], object]] = {  # Any: JSON from the running instance
            "status": self.show_status, "history": self.show_history, "metrics": self.take_metrics,
            "error:status": self.show_offline, "error:metrics": lambda _: setattr(self, "metrics_asked", True),
            "action": lambda text: self.note.configure(text=f"trayapp: {text}"),
            "error:action": lambda text: self.note.configure(text=f"could not do that: {text}"),
            "autostart": self._show_autostart,
            "diagnostics": self.show_diagnostics,
        }
        handlers.get(kind, lambda _: None)(result)

    def show_offline(self, message: str) -> None:
        self.banner.configure(text=f"{message}. The window keeps trying; start trayapp with `trayapp run`.")
        for panel in self.panels.values():
            for button in panel.buttons.values():
                button.state(["disabled"])

    def take_metrics(self, data: dict[str, list[Sample]]) -> None:
        """`data`: the instance's `metrics` reply, [time, memory, cpu] per sample and program."""
        self.metrics_asked = True
        for name, series in (data or {}).items():
            self.samples[name] = chart.merge(series, self.samples.get(name, []))

    def show_status(self, reply: dict[str, Any]) -> None:
        self.banner.configure(text="")
        now = time.time()
        statuses = [Status.from_dict(p) for p in reply.get("programs", [])]
        self.names = {s.program: s.display_name for s in statuses}  # events name programs the same way
        if set(self.panels) != {s.program for s in statuses}:
            for panel in self.panels.values():
                panel.frame.destroy()
            self.panels = {s.program: ProgramPanel(self.body, s.program, self.act) for s in statuses}
            for panel in self.panels.values():
                panel.frame.pack(fill="x", pady=(0, 6))
        for status in statuses:
            series = self.samples.setdefault(status.program, [])
            if status.memory is not None or status.cpu is not None:
                if not series or series[-1][1:] != (status.memory, status.cpu):
                    series.append((now, status.memory, status.cpu))
            del series[: max(0, len(series) - 2000)]
            self.panels[status.program].show(status, series, now)
        paused_until = (reply.get("notifications") or {}).get("paused_until")
        if paused_until is not None:
            self.paused = paused_until > now
        self.pause_button.configure(text="Resume notifications" if self.paused else "Pause notifications for 1 hour")

    def show_history(self, entries: list[dict[str, Any]]) -> None:
        text = "\n".join(event_line(e, self.names) for e in reversed(entries or [])) or "nothing recorded yet"
        self.events.configure(state="normal")
        self.events.delete("1.0", "end")
        self.events.insert("1.0", text)
        self.events.configure(state="disabled")

    # -- actions ------------------------------------------------------------------------------

    def act(self, cmd: str, program: str) -> None:
        if cmd == "logs":
            spawn_window("logview", "--program", program)
            return
        self.link.ask("action", cmd, program=program)
        self.root.after(300, lambda: self.link.ask("status", "status"))

    def _open(self, path: Path) -> None:
        problem = open_path(path)
        self.note.configure(text=problem or f"opened {path}")

    def open_data(self) -> None:
        from trayapp.config import load

        try:
            config = load(self.paths.config_file)
        except TrayAppError:
            config = None
        self._open(data_folder(config, self.paths))

    def toggle_pause(self) -> None:
        self.paused = not self.paused
        # seconds <= 0 resumes; -1 rather than 0, which the instance would read as "the default"
        self.link.ask("action", "pause_notifications", seconds=3600 if self.paused else -1)
        self.pause_button.configure(text="Resume notifications" if self.paused else "Pause notifications for 1 hour")

    def _read_autostart(self) -> None:
        try:
            from trayapp import autostart

            self.link.inbox.put(("autostart", bool(autostart.status().enabled)))
        except Exception as exc:
            self.link.inbox.put(("autostart", f"login item not available here: {exc}"))

    def _show_autostart(self, value: bool | str) -> None:
        if isinstance(value, str):
            self.autostart_box.state(["disabled"])
            self.note.configure(text=value)
        else:
            self.autostart.set(value)

    def toggle_autostart(self) -> None:
        wanted = self.autostart.get()

        def job() -> None:
            try:
                from trayapp import autostart

                autostart.enable() if wanted else autostart.disable()
                self.link.inbox.put(("action", "start at login " + ("on" if wanted else "off")))
            except Exception as exc:
                self.link.inbox.put(("error:action", str(exc)))
            self._read_autostart()

        threading.Thread(target=job, daemon=True).start()

    def diagnostics(self) -> None:
        """Run `trayapp doctor` off the GUI thread and show its report in a window of its own."""
        top = tk.Toplevel(self.root)
        top.title("trayapp — diagnostics")
        text = tk.Text(top, width=110, height=34, wrap="word", font=("TkFixedFont", 9))
        text.pack(fill="both", expand=True, padx=8, pady=8)
        text.insert("end", "Running the checks…")
        text.configure(state="disabled")

        def job() -> None:
            try:
                from trayapp import doctor
                from trayapp.config import load

                try:
                    config = load(self.paths.config_file)
                except TrayAppError:
                    from trayapp.config import default_config

                    config = default_config()
                report = doctor.run_all(config, self.paths).render_text()
            except Exception as exc:  # the window must say something, never die silently
                report = f"The checks could not run: {exc}"
            self.link.inbox.put(("diagnostics", (text, report)))

        threading.Thread(target=job, name="doctor", daemon=True).start()

    def show_diagnostics(self, payload: tuple[tk.Text, str]) -> None:
        text, report = payload
        if not text.winfo_exists():
            return
        text.configure(state="normal")
        text.delete("1.0", "end")
        text.insert("end", report)
        text.configure(state="disabled")

    def quit_trayapp(self) -> None:
        stop = {"stop": True, "leave": False}.get(self.on_quit)
        if stop is None:
            stop = messagebox.askyesnocancel(
                "Quit trayapp?", "Stop the assistant too?\n\nYes: stop it and quit.\n"
                "No: leave it running and quit.", parent=self.root)
            if stop is None:
                return
        self.link.ask("action", "quit", stop_programs=stop)


def _on_quit_setting(paths: AppPaths) -> str:
    from trayapp.config import load

    try:
        return load(paths.config_file).tray.on_quit
    except TrayAppError:
        return "ask"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m trayapp.ui.status",
                                     description="trayapp's status window (needs a running `trayapp run`).")
    parser.add_argument("--diagnostics", action="store_true", help="open the diagnostics report at once")
    args = parser.parse_args(argv)
    paths = AppPaths.discover()
    root = tk.Tk(className="trayapp")
    root.minsize(720, 420)
    window = StatusWindow(root, paths, _on_quit_setting(paths))
    if args.diagnostics:
        window.diagnostics()
    root.mainloop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
