"""Dependencies between programs (`depends_on = { ollama = "healthy" }`), as pure functions.

Nothing here starts or stops anything: the supervisor asks whether a program may start (every
condition met), what holds it back (in words, for its status), whether a dependency has restarted
under a running dependent, and which programs may be stopped first when trayapp quits.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from trayapp.i18n import N_, _
from trayapp.message import Duration, Message
from trayapp.status import ExitInfo, Health, Mode, State, Status

STARTED, HEALTHY, COMPLETED = "started", "healthy", "completed_successfully"
# "ready" is the same condition as "healthy": health passed, the ready line, or startsecs.
CONDITIONS = (STARTED, HEALTHY, "ready", COMPLETED)

Graph = Mapping[str, Mapping[str, str]]  # program -> {dependency: condition}


def met(condition: str, status: Status) -> bool:
    """Whether `status` satisfies `condition` right now."""
    if condition == STARTED:
        return status.is_up
    if condition == COMPLETED:
        return status.state is State.STOPPED and status.last_exit == ExitInfo(code=0)
    # healthy / ready: its health check passed (degraded still answers it); without a check,
    # RUNNING means it printed its ready line or lasted startsecs.
    return status.state is State.RUNNING and status.health in (Health.HEALTHY, Health.DEGRADED, Health.NONE)


@dataclass(frozen=True)
class Blocker:
    """The first dependency that holds a program back, and why, in words."""

    name: str
    reason: Message
    gave_up: bool


def blocker(needs: Mapping[str, str], statuses: Mapping[str, Status]) -> Blocker | None:
    """The first unmet dependency of a program that needs `needs`; None when it may start."""
    for name, condition in needs.items():
        status = statuses.get(name)
        if status is None:
            return Blocker(name, Message(N_("waiting for {name}, which is not configured"), name=name), False)
        if met(condition, status):
            continue
        shown = status.display_name or name
        if status.state is State.GIVEN_UP:
            return Blocker(name, Message(N_("waiting for {name}, which gave up"), name=shown), True)
        return Blocker(name, Message(_WAITING.get(condition, N_("waiting for {name} to be ready")), name=shown), False)
    return None


_WAITING = {STARTED: N_("waiting for {name} to be started"),
            COMPLETED: N_("waiting for {name} to be finished successfully")}


def timed_out(found: Blocker, timeout: float) -> Message:
    """The hold reason after `depends_timeout` has passed without the condition being met."""
    if found.gave_up:
        return found.reason
    return Message(N_("{reason}; still not after {took} (it starts once that happens)"), reason=found.reason,
                   took=Duration(timeout))


def restarted(needs: Mapping[str, str], seen: Mapping[str, float | None], statuses: Mapping[str, Status]) -> str | None:
    """The dependency that went down or started anew since `seen` (its started_at then), if any.

    A one-shot dependency (completed_successfully) is done and never binds its dependents."""
    for name, condition in needs.items():
        status = statuses.get(name)
        if condition == COMPLETED or status is None:
            continue
        if not status.is_up or status.started_at != seen.get(name):
            return name
    return None


def problems(graph: Graph) -> list[str]:
    """Config problems: unknown names, a program depending on itself, and cycles."""
    found = [_("programs.{name}.depends_on: no program named {dep}; the programs are: {programs}").format(
        name=name, dep=repr(dep), programs=", ".join(graph))
        for name, needs in graph.items() for dep in needs if dep not in graph]
    cycle = _cycle(graph)
    if cycle:
        found.append(_("programs.{name}.depends_on: {cycle} is a cycle, so none of them could ever start; "
                       "remove one of these dependencies").format(name=cycle[0], cycle=" -> ".join(cycle)))
    return found


def _cycle(graph: Graph) -> list[str] | None:
    """One cycle as a path that ends where it began (a -> b -> a), or None."""
    done: set[str] = set()
    for start in graph:
        path: list[str] = []
        found = _visit(start, graph, path, done)
        if found:
            return found
    return None


def _visit(name: str, graph: Graph, path: list[str], done: set[str]) -> list[str] | None:
    if name in path:
        return path[path.index(name):] + [name]
    if name in done or name not in graph:
        return None
    path.append(name)
    for dep in graph[name]:
        found = _visit(dep, graph, path, done)
        if found:
            return found
    path.pop()
    done.add(name)
    return None


def order(graph: Graph) -> list[str]:
    """Every program after its dependencies (config order otherwise). Assumes no cycle."""
    ordered: list[str] = []

    def place(name: str) -> None:
        if name in ordered or name not in graph:
            return
        for dep in graph[name]:
            place(dep)
        ordered.append(name)

    for name in graph:
        place(name)
    return ordered


def may_stop(name: str, graph: Graph, statuses: Mapping[str, Status]) -> bool:
    """Quitting: `name` stops only once no program that depends on it is still up (reverse order)."""
    return not any(name in needs and _up(statuses[other]) for other, needs in graph.items() if other in statuses)


def _up(status: Status) -> bool:
    """Still to be stopped by trayapp: a copy owned elsewhere is never stopped, so it never waits."""
    return status.state not in _DOWN and status.mode not in (Mode.ATTACHED, Mode.EXTERNAL)


_DOWN = (State.STOPPED, State.GIVEN_UP, State.BACKOFF)
