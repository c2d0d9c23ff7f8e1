"""The one watcher of all sessions: changes pushed to whoever listens, so badges flip without polling.

While at least one listener is registered (an events websocket, a pane stream), a single task
lists every session with one tmux invocation per tick (``interval``; 0.25 s in the server) and
compares the result with the previous tick: a session that appeared or was respawned is "started", one whose
command died is "exited" (with its code), one that vanished is "stopped", a change in the number of
attached terminals is "attached", and any other change (agent state, command, pid) is "state".
New listeners get a full snapshot first, taken by the same tick that feeds everyone else. With no
listener left the task stops, and tmux is not touched at all.

The server's own start and stop are told to listeners at once and become the baseline the next tick
compares with (:meth:`SessionWatcher.note`), so a session the server started and someone killed
before the next tick still gets its "stopped"; a tick whose listing began before such a change is
discarded and listed again. Changes made elsewhere (the CLI, a notebook, ``tmux kill-session``) are
seen by the next tick. A tmux control-mode client would announce them sooner, but tmux 3.3a crashes
the whole server when a notification reaches a control client that is still connecting (tmux pull
request 4980), so nothing here keeps such a client.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from ..core.errors import ClaudeSessionsError
from ..core.manager import ClaudeSessions
from ..core.session import Session

#: Shortest pause between two ticks, however often the watcher is woken.
MIN_GAP = 0.02


@dataclass(frozen=True)
class SessionEvent:
    """One message for listeners: a snapshot, or a change of one session."""

    kind: str
    session: Session | None = None
    sessions: tuple[Session, ...] = ()
    error: ClaudeSessionsError | None = field(default=None, compare=False)
    #: Other messages' fields (``kind`` "conflicts": the conflicts report).
    payload: dict[str, Any] | None = field(default=None, compare=False)

    def to_json(self) -> dict[str, Any]:
        """The message as the ``claude/events`` websocket sends it."""
        if self.payload is not None:
            return {"type": self.kind, **self.payload}
        if self.kind == "snapshot":
            return {"type": "snapshot", "sessions": [s.to_json() for s in self.sessions]}
        if self.kind == "error":
            return {"type": "error", "error": getattr(self.error, "code", "error"), "reason": str(self.error)}
        assert self.session is not None
        return {"type": "session", "event": self.kind, "session": self.session.to_json()}

    @functools.cached_property
    def text(self) -> str:
        """The JSON text, built once however many listeners receive it."""
        return json.dumps(self.to_json())


Listener = Callable[[SessionEvent], None]
#: Told after each tick: whether it is the first since the watcher started, the listing (by session
#: name), and the listeners that just joined (they have had their snapshot).
TickObserver = Callable[[bool, dict[str, Session], list[Listener]], None]


def changes(previous: dict[str, Session], current: dict[str, Session]) -> list[SessionEvent]:
    """The events that turn one listing (by session name) into the next."""
    events: list[SessionEvent] = []
    for name, now in current.items():
        before = previous.get(name)
        if before is None:
            events.append(SessionEvent("exited" if not now.running else "started", now))
        elif before.running and not now.running:
            events.append(SessionEvent("exited", now))
        elif now.running and (
            not before.running or now.started_at != before.started_at or now.pid != before.pid
        ):
            events.append(SessionEvent("started", now))
        elif now.attached_clients != before.attached_clients:
            events.append(SessionEvent("attached", now))
        elif now != before:
            events.append(SessionEvent("state", now))
    for name, before in previous.items():
        if name not in current:
            events.append(SessionEvent("stopped", Session(id=before.id, name=name, usage=before.usage)))
    return events


class SessionWatcher:
    """Polls tmux for every session while anyone listens, and tells the listeners what changed."""

    def __init__(self, manager: ClaudeSessions, interval: float = 0.5, log: Any = None) -> None:
        self.manager = manager
        self.interval = interval
        self.log = log if log is not None else manager.log
        self.ticks = 0
        self._listeners: list[Listener] = []
        self._joining: list[Listener] = []
        self._task: asyncio.Task[None] | None = None
        #: The last listing (by session name) with the server's own changes since applied.
        self._previous: dict[str, Session] | None = None
        #: Counts :meth:`note` calls: a listing begun before one may predate the change.
        self._notes = 0
        self._wake: asyncio.Event | None = None
        #: Called after every tick (e.g. the conflicts check, :mod:`.conflicts`).
        self.observers: list[TickObserver] = []
        self._last_error = ""
        self._reported_error = ""
        # Its own thread: a tick must not queue behind the server's other blocking work (a page
        # load fires dozens of contents requests into the default executor).
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="jupyter-claude-events")

    @property
    def running(self) -> bool:
        """True while the watcher's task is alive."""
        return self._task is not None and not self._task.done()

    def listen(self, listener: Listener) -> Callable[[], None]:
        """Register a listener (it gets a snapshot first); returns the function that unregisters it."""
        self._joining.append(listener)
        self._ensure_running()
        self.poke()

        def unlisten() -> None:
            for group in (self._listeners, self._joining):
                with contextlib.suppress(ValueError):
                    group.remove(listener)
            if not self._listeners and not self._joining:
                self.poke()

        return unlisten

    def note(self, session: Session) -> None:
        """Tell listeners now of a change the server made (``session`` as start or status returned it).

        The change also becomes the baseline of the next tick: without it, a session started and
        killed between two ticks would never be seen, and a browser would keep the "running" that the
        start reply gave it.
        """
        self._notes += 1  # a listing under way may predate the change (a joiner's snapshot too)
        if self._previous is not None:
            before = self._previous.pop(session.name, None)
            if session.state != "stopped":
                self._previous[session.name] = session
            self._dispatch_changes(
                {} if before is None else {session.name: before},
                {} if session.state == "stopped" else {session.name: session},
            )
        self.poke()

    def poke(self) -> None:
        """Tick now rather than at the end of the interval (a session probably changed)."""
        if self._wake is not None:
            self._wake.set()

    async def stop(self) -> None:
        """Drop every listener and wait for the task to end."""
        self._listeners.clear()
        self._joining.clear()
        self.poke()
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    # -- the loop -----------------------------------------------------------------------------

    def _ensure_running(self) -> None:
        if not self.running:
            self._wake = asyncio.Event()
            self._task = asyncio.ensure_future(self._run())

    async def _run(self) -> None:
        self._previous = None
        assert self._wake is not None
        wake = self._wake
        try:
            while self._listeners or self._joining:
                wake.clear()
                started = time.monotonic()
                notes = self._notes
                current = await self._list()
                if current is not None and notes != self._notes:
                    wake.set()  # listed before a change the server made: list again
                elif current is not None:
                    self.ticks += 1
                    first = self._previous is None
                    if self._previous is not None:
                        self._dispatch_changes(self._previous, current)
                    self._previous = current
                    joining: list[Listener] = []
                    if self._joining:
                        joining, self._joining = self._joining, []
                        self._listeners.extend(joining)
                        self._dispatch(SessionEvent("snapshot", sessions=tuple(current.values())), joining)
                    self._observe(first, current, joining)
                if not (self._listeners or self._joining):
                    break
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(wake.wait(), self.interval)
                pause = MIN_GAP - (time.monotonic() - started)
                if pause > 0:
                    await asyncio.sleep(pause)
        finally:
            self._previous = None
            if self._listeners or self._joining:
                # Someone arrived while we were shutting down: carry on with a fresh task.
                self._wake = asyncio.Event()
                self._task = asyncio.ensure_future(self._run())

    async def _list(self) -> dict[str, Session] | None:
        loop = asyncio.get_running_loop()
        try:
            sessions = await loop.run_in_executor(self._executor, self.manager.list)
        except ClaudeSessionsError as error:
            # Report an error once, and only when the next tick fails too (tmux has brief
            # refusals, e.g. while a server whose last session was killed is exiting).
            if str(error) == self._last_error and str(error) != self._reported_error:
                self._reported_error = str(error)
                self.log.warning("jupyter-claude events: cannot list sessions: %s", error)
                self._dispatch(SessionEvent("error", error=error), [*self._listeners, *self._joining])
            self._last_error = str(error)
            return None
        except Exception:  # a bug must not kill the watcher: log it, try again next tick
            self.log.exception("jupyter-claude events: listing sessions failed")
            return None
        self._last_error = self._reported_error = ""
        return {session.name: session for session in sessions}

    def broadcast(self, event: SessionEvent, listeners: list[Listener] | None = None) -> None:
        """Send a message to every listener that has had its snapshot (or to ``listeners``)."""
        self._dispatch(event, self._listeners if listeners is None else listeners)

    def _observe(self, first: bool, current: dict[str, Session], joining: list[Listener]) -> None:
        for observer in list(self.observers):
            try:
                observer(first, current, joining)
            except Exception:
                self.log.exception("jupyter-claude events: a tick observer failed")

    def _dispatch_changes(self, previous: dict[str, Session], current: dict[str, Session]) -> None:
        for event in changes(previous, current):
            self._dispatch(event, self._listeners)

    def _dispatch(self, event: SessionEvent, listeners: list[Listener]) -> None:
        for listener in list(listeners):
            try:
                listener(event)
            except Exception:
                self.log.exception("jupyter-claude events: a listener failed")
