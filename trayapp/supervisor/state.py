"""The table of allowed state transitions and the one function that moves a Status along it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any, Final

from trayapp.status import State, Status


ALLOWED: Final[Mapping[State, frozenset[State]]] = {
    State.STOPPED: frozenset({State.STARTING, State.RUNNING, State.GIVEN_UP}),  # RUNNING: adopted/attached
    State.STARTING: frozenset({State.RUNNING, State.BACKOFF, State.STOPPING, State.STOPPED, State.GIVEN_UP}),
    State.RUNNING: frozenset({State.BACKOFF, State.STOPPING, State.STOPPED, State.GIVEN_UP}),
    # -> RUNNING from a waiting state: at (re)start the port was found held by somebody else.
    State.BACKOFF: frozenset({State.STARTING, State.RUNNING, State.STOPPED, State.GIVEN_UP}),
    State.STOPPING: frozenset({State.STOPPED, State.STARTING}),  # STARTING: the stop was a restart
    State.GIVEN_UP: frozenset({State.STARTING, State.RUNNING, State.STOPPED}),
}


class IllegalTransition(AssertionError):
    """A transition that is not in ALLOWED: a bug in trayapp, never the user's fault."""


def check_transition(old: State, new: State) -> None:
    if new is not old and new not in ALLOWED[old]:
        raise IllegalTransition(f"{old} -> {new} is not an allowed transition")


def moved(old: Status, state: State, wall: float, **changes: Any) -> Status:
    """The snapshot after a change: the edge is checked, `since_at` moves only with the state."""
    check_transition(old.state, state)
    return replace(old, state=state, since_at=wall if state is not old.state else old.since_at, **changes)


