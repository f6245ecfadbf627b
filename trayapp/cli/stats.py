"""`trayapp stats [PROGRAM]`: CPU and memory of the last hour, from the running instance's samples."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from trayapp.i18n import _, ngettext
from trayapp.cli.common import paths
from trayapp.cli.output import print_json

if TYPE_CHECKING:
    from trayapp.summary import Range, Summary


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("stats", help=_("CPU and memory over the last hour"),
                       description=_("Show each program's CPU and memory over the last hour: lowest, average "
                                     "and highest, and a one-line chart. The running trayapp keeps the samples "
                                     "(one every limits.interval, 10s by default). Exit status 3 when trayapp "
                                     "is not running."))
    p.add_argument("program", nargs="?", help=_("only this program (default: all)"))
    p.add_argument("--json", action="store_true", help=_("machine-readable output"))
    p.set_defaults(func=stats)


def stats(args: argparse.Namespace) -> int:
    from trayapp import control
    from trayapp.errors import NotRunningError
    from trayapp.summary import summarize

    try:
        series = control.request(paths(), "metrics", timeout=10, **({"program": args.program} if args.program else {}))
    except NotRunningError:
        print(_("trayapp is not running, so there are no samples (start it with `trayapp run`)"))
        return 3
    summaries = {name: summarize(points) for name, points in sorted(series.items())}
    if args.json:
        print_json({name: _as_json(s) for name, s in summaries.items()})
        return 0
    if not summaries or all(s.samples == 0 for s in summaries.values()):
        print(_("no samples yet for {program}: they are taken while a program runs").format(program=args.program)
              if args.program else _("no samples yet: they are taken while a program runs"))
    for name, summary in summaries.items():
        _print(name, summary)
    return 0


def _as_json(s: Summary) -> dict[str, Any]:
    def numbers(r: Range | None) -> dict[str, float] | None:
        return None if r is None else {"min": r.low, "average": round(r.average, 2), "max": r.high}

    return {"samples": s.samples, "seconds": round(s.span), "cpu_percent": numbers(s.cpu),
            "memory_bytes": numbers(s.memory), "cpu_sparkline": s.cpu_line, "memory_sparkline": s.memory_line}


def _print(name: str, s: Summary) -> None:
    from trayapp.units import format_duration, format_size

    if s.samples == 0:
        return
    if s.span < 1:  # one phrase of its own: "the last moment" reads differently from "the last 5m" in Chinese
        said = ngettext("{name}: {n} sample just now", "{name}: {n} samples just now", s.samples).format(
            name=name, n=s.samples)
    else:
        said = ngettext("{name}: {n} sample over the last {span}", "{name}: {n} samples over the last {span}",
                        s.samples).format(name=name, n=s.samples, span=format_duration(int(s.span)))
    print(said)
    spread = _("lowest {low}, average {average}, highest {high}")
    if s.cpu is not None:
        cpu = spread.format(low=f"{s.cpu.low:.0f}%", average=f"{s.cpu.average:.0f}%", high=f"{s.cpu.high:.0f}%")
        print(f"  CPU     {cpu}   {s.cpu_line}")
    if s.memory is not None:
        memory = spread.format(low=format_size(int(s.memory.low)), average=format_size(int(s.memory.average)),
                               high=format_size(int(s.memory.high)))
        print(f"  {_('memory'):<7} {memory}   {s.memory_line}")
