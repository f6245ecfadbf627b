"""The table of allowed state transitions and the one function that moves a Status along it.

ALLOWED lists exactly the edges the two machines make (program.py: managed and adopted programs;
attach.py: programs owned by a service manager); tests/unit/test_transitions.py drives both through
every edge and fails when one is made that is not listed, or one is listed that nothing makes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any, Final

from trayapp.status import State, Status

_STOPPED, _STARTING, _RUNNING = State.STOPPED, State.STARTING, State.RUNNING
_BACKOFF, _STOPPING, _GIVEN_UP = State.BACKOFF, State.STOPPING, State.GIVEN_UP

ALLOWED: Final[Mapping[State, frozenset[State]]] = {
    # RUNNING: a copy found outside trayapp, an adopted child, or (attach) the owner says it is up.
    # GIVEN_UP: the command could not be started at all (missing binary, bad cwd).
    _STOPPED: frozenset({_STARTING, _RUNNING, _GIVEN_UP}),
    # STOPPED: an exit that is not restarted (restart = "never", a clean exit under on-failure).
    _STARTING: frozenset({_RUNNING, _BACKOFF, _STOPPING, _STOPPED, _GIVEN_UP}),
    # STARTING: attach only, its owner is starting it again after it went down between two looks.
    _RUNNING: frozenset({_STARTING, _BACKOFF, _STOPPING, _STOPPED, _GIVEN_UP}),
    # RUNNING: the port was found held by somebody else when the retry came; STOPPED: the user
    # stopped it, or its own service was found; GIVEN_UP: the retry could not start the command.
    _BACKOFF: frozenset({_STARTING, _RUNNING, _STOPPED, _GIVEN_UP}),
    # STARTING: the stop was half of a restart; GIVEN_UP: automatic restarts ran out;
    # RUNNING: attach only, the owner finished a restart (or refused the stop) between two looks.
    _STOPPING: frozenset({_STOPPED, _STARTING, _GIVEN_UP, _RUNNING}),
    # STARTING: the slow retry or the user; RUNNING: a copy outside trayapp found at the retry.
    _GIVEN_UP: frozenset({_STARTING, _RUNNING, _STOPPED}),
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
