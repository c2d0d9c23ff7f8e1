"""Live, read-only views of a task's pane, followed from the task's log file.

Every byte the pane prints already flows into the task log (``pipe-pane`` → :mod:`logpipe`, from
the session's first byte). A view is that file, followed: the first frame replays the tail of the
log up to an offset (the screen as a terminal drew it, colours and cursor moves included), from
no earlier than where the running command started (the log keeps earlier runs too), and every
later frame is what the log grows by after that offset. Screen and live bytes come from one file
at one offset, so nothing is lost or doubled between them.

Why not a tmux control-mode client (``tmux -C attach-session``)? tmux 3.3a crashes, taking every
session of the server with it, when a session is created or killed while a control client is
connecting (tmux pull request 4980; reproduced here within 2 to 15 client starts). Following the
log needs no tmux client at all, and no lock between this server and the CLI or a notebook.

One :class:`PaneStream` per session, shared by its viewers, reads the file every
``FOLLOW_INTERVAL`` while someone watches (a read on an open file; no tmux call) and stops when the
last viewer leaves. The pane's size is sent first (one tmux query when the stream starts) and
again when it changes, as told by the watcher, whose one listing of all sessions carries every
pane's size: no polling per session. A follower more than ``MAX_BACKLOG`` behind the file skips
to its end and replays the tail, as a reconnecting viewer would. The session's end comes from the
server's one :class:`~jupyter_claude.events.SessionWatcher`: the follower drains the log until it
stops growing, sends the exit message and closes the views. A viewer of a session that is not
running gets the last screen and the exit message at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import Callable
from typing import IO, Any, Protocol

from ..core import logs
from ..core.errors import ClaudeSessionsError
from ..core.manager import ClaudeSessions
from ..core.session import Session
from ..core.tmux import exact_pane
from .background import background, run_blocking
from .events import SessionEvent, SessionWatcher

#: How much of the log a joining viewer replays to draw the current screen (and what a stopped
#: session's viewer gets).
REPLAY_BYTES = 256 * 1024
LOG_REPLAY_BYTES = 1024 * 1024

#: How often a follower reads its log, how much at most per read, and how far it may fall behind.
FOLLOW_INTERVAL = 0.02
READ_BYTES = 1024 * 1024
MAX_BACKLOG = 8 * 1024 * 1024

#: When the session ends, the log is drained until it has not grown for this long (its writer is
#: a separate process), but no longer than DRAIN_LIMIT.
DRAIN_QUIET = 0.15
DRAIN_LIMIT = 1.0

_GEOMETRY = "#{pane_width} #{pane_height} #{cursor_x} #{cursor_y}"


class Viewer(Protocol):
    """What a stream needs from one viewer (the websocket handler implements it)."""

    def send_output(self, data: bytes) -> None:
        """Terminal bytes, in order."""

    def send_message(self, message: dict[str, Any]) -> None:
        """A JSON control message."""

    def end(self) -> None:
        """Close the view normally (after the exit message)."""


def screen_bytes(capture: list[bytes], cursor_x: int, cursor_y: int) -> bytes:
    """A captured screen (history included) as one stream a fresh terminal can replay.

    ``capture-pane -e`` writes colour changes only where they change, across lines, so the lines
    are joined, not printed one by one; then attributes are reset and the cursor put back.
    """
    return b"\r\n".join(capture) + b"\x1b[0m" + f"\x1b[{cursor_y + 1};{cursor_x + 1}H".encode()


def replay_from(data: bytes, whole: bool) -> bytes:
    """The part of a log tail a fresh terminal can replay: from a line start, attributes reset."""
    if not whole:
        cut = data.find(b"\n")
        data = data[cut + 1 :] if cut >= 0 else b""
    return b"\x1b[0m" + data


def last_screen(manager: ClaudeSessions, session: Session) -> bytes:
    """What a session that is not running last showed: its dead pane, else its log (blocking)."""
    if session.state == "exited":
        target = exact_pane(session.name)
        try:
            out = manager.tmux.run(
                ["display-message", "-p", "-t", target, _GEOMETRY],
                ["capture-pane", "-p", "-e", "-S", "-", "-t", target],
            )
        except ClaudeSessionsError:
            pass
        else:
            geometry, _, capture = out.partition("\n")
            numbers = [int(n) for n in geometry.split()] if geometry.strip() else [0, 0, 0, 0]
            lines = capture.encode().split(b"\n")
            return screen_bytes(lines[:-1] if lines and not lines[-1] else lines, *numbers[2:4])
    tail = logs.log_tail(manager.log_path(session.id), LOG_REPLAY_BYTES)
    return replay_from(tail, whole=len(tail) < LOG_REPLAY_BYTES) if tail else b""


class PaneStream:
    """One session's log follower and the viewers it feeds."""

    def __init__(self, streams: PaneStreams, task_id: str) -> None:
        self.streams = streams
        self.task_id = task_id
        self.name = streams.manager.session_name(task_id)
        self.path = streams.manager.log_path(task_id)
        self.viewers: set[Viewer] = set()
        self.ending = False
        self._log: IO[bytes] | None = None
        self._size: tuple[int, int] | None = None
        #: Where the running command's output starts in the log: replays begin no earlier.
        self._run_start = 0
        self._follower: asyncio.Task[None] | None = None
        self._unlisten: Callable[[], None] | None = None
        self._finished = asyncio.Event()

    # -- life cycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        """Open the log at its end and start following it."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.touch(exist_ok=True)
        self._log = self.path.open("rb")
        self._log.seek(0, os.SEEK_END)
        session: Session = await run_blocking(self.streams.manager.status, self.task_id)
        if session.cols and session.rows:
            self._size = (session.cols, session.rows)
        if session.log_offset is not None and session.log_offset <= self._log.tell():
            self._run_start = session.log_offset  # else the log was rotated since: all of it is this run's
        self._follower = background(self._follow())
        self._unlisten = self.streams.watcher.listen(self._on_event)

    def add(self, viewer: Viewer) -> None:
        """Let a viewer in: its size, the screen up to where the follower is, then live bytes."""
        if self.ending:
            background(self.streams.replay_offline(viewer, self.task_id))
            return
        assert self._log is not None
        if self._size is not None:
            viewer.send_message({"type": "size", "cols": self._size[0], "rows": self._size[1]})
        viewer.send_output(self._replay())
        self.viewers.add(viewer)

    def remove(self, viewer: Viewer) -> None:
        """A viewer left; the last one to leave stops the follower."""
        self.viewers.discard(viewer)
        if not self.viewers and not self.ending:
            self.ending = True
            self.streams.forget(self)
            background(self._close())

    async def wait_closed(self) -> None:
        """Until the follower is gone and the stream left the registry."""
        await self._finished.wait()

    # -- following the log --------------------------------------------------------------------

    def _replay(self) -> bytes:
        """The log's last REPLAY_BYTES before the follower's offset (the same file, unbuffered)."""
        assert self._log is not None
        offset = self._log.tell()
        start = max(self._run_start, offset - REPLAY_BYTES)
        data = os.pread(self._log.fileno(), offset - start, start)
        return replay_from(data, whole=start == self._run_start)

    def _pump(self) -> None:
        """Read what the log grew by and hand it to every viewer."""
        assert self._log is not None
        size = os.fstat(self._log.fileno()).st_size
        if size - self._log.tell() > MAX_BACKLOG:
            # Too far behind to catch up byte by byte: jump to the end and redraw from the tail.
            self._log.seek(size)
            screen = b"\x1bc" + self._replay()
            for viewer in list(self.viewers):
                viewer.send_output(screen)
            return
        data = self._log.read(READ_BYTES)
        if not data:
            self._follow_rotation()
            return
        for viewer in list(self.viewers):
            viewer.send_output(data)

    def _follow_rotation(self) -> None:
        """At the end of the file: if the log was rotated, continue at the start of the new one."""
        assert self._log is not None
        try:
            renamed = os.stat(self.path).st_ino != os.fstat(self._log.fileno()).st_ino
        except FileNotFoundError:
            return
        if renamed:
            self._log.close()
            self._log = self.path.open("rb")
            self._run_start = 0

    async def _follow(self) -> None:
        while not self.ending:
            self._pump()
            await asyncio.sleep(FOLLOW_INTERVAL)

    def _on_event(self, event: SessionEvent) -> None:
        sessions = event.sessions if event.kind == "snapshot" else (event.session,)
        for session in sessions:
            if session is not None and session.name == self.name and session.cols and session.rows:
                self._resized(session.cols, session.rows)
        gone = event.kind == "snapshot" and not any(s.name == self.name for s in event.sessions)
        ended = any(s is not None and s.name == self.name and not s.running for s in sessions)
        if (gone or ended) and not self.ending:
            self.ending = True
            self.streams.forget(self)
            background(self._finish())

    def _resized(self, cols: int, rows: int) -> None:
        if (cols, rows) != self._size and not self.ending:
            self._size = (cols, rows)
            for viewer in list(self.viewers):
                viewer.send_message({"type": "size", "cols": cols, "rows": rows})

    # -- ending -------------------------------------------------------------------------------

    async def _finish(self) -> None:
        """The session ended: the rest of the log, the exit message, then close every view."""
        if self._follower is not None:
            await self._follower
        deadline = time.monotonic() + DRAIN_LIMIT
        quiet_since = time.monotonic()
        while time.monotonic() < deadline and time.monotonic() - quiet_since < DRAIN_QUIET:
            before = self._log.tell() if self._log else 0
            self._pump()
            if self._log is not None and self._log.tell() != before:
                quiet_since = time.monotonic()
            await asyncio.sleep(FOLLOW_INTERVAL)
        try:
            session: Session = await run_blocking(self.streams.manager.status, self.task_id)
        except ClaudeSessionsError:
            session = Session(id=self.task_id, name=self.name)
        message = {"type": "exit", "session": session.to_json()}
        for viewer in list(self.viewers):
            viewer.send_message(message)
            viewer.end()
        self.viewers.clear()
        await self._close()

    async def _close(self) -> None:
        """Stop following and leave the registry."""
        self.ending = True
        self.streams.forget(self)
        if self._unlisten is not None:
            self._unlisten()
            self._unlisten = None
        if self._follower is not None and self._follower is not asyncio.current_task():
            with contextlib.suppress(asyncio.CancelledError):
                await self._follower
        if self._log is not None:
            self._log.close()
            self._log = None
        self._finished.set()


class PaneStreams:
    """Every live pane stream of the server, by task id: at most one log follower per session."""

    def __init__(self, manager: ClaudeSessions, watcher: SessionWatcher, log: Any) -> None:
        self.manager = manager
        self.watcher = watcher
        self.log = log
        self._streams: dict[str, PaneStream] = {}

    async def open(self, task_id: str, viewer: Viewer) -> None:
        """Connect a viewer to a task's pane (or to its last screen when it is not running)."""
        stream = self._streams.get(task_id)
        if stream is None:
            session: Session = await run_blocking(self.manager.status, task_id)
            if not session.running:
                await self._replay(viewer, session)
                return
            stream = self._streams.get(task_id)
            if stream is None:
                stream = PaneStream(self, task_id)
                self._streams[task_id] = stream
                try:
                    await stream.start()
                except BaseException:
                    self.forget(stream)
                    raise
        stream.add(viewer)

    def close(self, task_id: str, viewer: Viewer) -> None:
        """A viewer went away."""
        stream = self._streams.get(task_id)
        if stream is not None:
            stream.remove(viewer)

    def forget(self, stream: PaneStream) -> None:
        """Drop a stream that is ending, so the next viewer starts a fresh one."""
        if self._streams.get(stream.task_id) is stream:
            del self._streams[stream.task_id]

    async def replay_offline(self, viewer: Viewer, task_id: str) -> None:
        """Send the last screen and the exit message of a session that is not (or no longer) live."""
        await self._replay(viewer, await run_blocking(self.manager.status, task_id))

    async def _replay(self, viewer: Viewer, session: Session) -> None:
        screen = await run_blocking(last_screen, self.manager, session)
        if screen:
            viewer.send_output(screen)
        viewer.send_message({"type": "exit", "session": session.to_json()})
        viewer.end()

    def __len__(self) -> int:
        return len(self._streams)

    async def shutdown(self) -> None:
        """Close every stream (the server is stopping)."""
        for stream in list(self._streams.values()):
            for viewer in list(stream.viewers):
                viewer.end()
            stream.viewers.clear()
            await stream._close()
