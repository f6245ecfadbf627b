"""Times of day and dates as the dashboard shows them, in the active language: "14:02:03" today,
"Nov 29 14:02" (English) or "11月29日 14:02" (Chinese) on another day, local time.

Month names come from the catalog, not from strftime's %b: that follows the C library's locale,
which a running trayapp never sets (and which may not be installed)."""

from __future__ import annotations

import time

from trayapp.i18n import N_, _

# TRANSLATORS: a month's short name, as it stands before the day in "Nov 29 14:02" (Chinese: "11月").
MONTHS = (N_("Jan"), N_("Feb"), N_("Mar"), N_("Apr"), N_("May"), N_("Jun"), N_("Jul"), N_("Aug"), N_("Sep"),
          N_("Oct"), N_("Nov"), N_("Dec"))


def time_words(ts: float, now: float, *, seconds: bool = True) -> str:
    """The clock time alone when `ts` is today, else with its month and day."""
    when, today = time.localtime(ts), time.localtime(now)
    clock = time.strftime("%H:%M:%S" if seconds else "%H:%M", when)
    if when[:3] == today[:3]:
        return clock
    # TRANSLATORS: a day and a time, such as "Nov 29 14:02"; {month} is one of the short month names.
    return _("{month} {day} {time}").format(month=_(MONTHS[when.tm_mon - 1]), day=when.tm_mday, time=clock)
