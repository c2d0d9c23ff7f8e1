"""Live, read-only views of a task's pane: one tmux control-mode client per session, fanned out.

The first viewer of a session starts ``tmux -C attach-session -t =NAME -f read-only,ignore-size``
with its stdin kept open on a pipe (``-C`` needs no pty then). tmux sends that client every byte the
pane prints as ``%output %PANE <octal-escaped bytes>``; we keep the lines of the task's own pane
(the session option ``@jc_pane``), decode them and hand the bytes to every viewer. More viewers of
the same session share that one client; it is closed when the last viewer leaves.

Screen first, then bytes, none lost or doubled: a joining viewer's screen is taken by a
``display-message ; capture-pane -e`` pair sent *through the control client itself*. tmux is single
threaded and writes command replies and ``%output`` into the client's stream in the order things
happened, so every ``%output`` line before the reply's ``%begin`` is already in the capture and every
one after its ``%end`` is not. The reader switches the viewer on exactly at that ``%end``. (Capturing
with a second tmux process instead would race with the pane.)

The end of a session is seen two ways: ``%exit`` (or end of file) when the session is killed, and
the shared :class:`~jupyter_claude.events.SessionWatcher` when the command exits and the dead pane is
kept (``remain-on-exit``), which tmux does not announce to control clients. In the second case one
more command round trip through the client flushes the last ``%output`` before the exit message.
A viewer that connects to a session that is not running gets the last screen (a dead pane's
capture, else the tail of the log) and the exit message at once.

tmux 3.3a crashes (the whole server, every session) when a control-mode notification such as
``%sessions-changed`` or ``%client-detached`` reaches a control client that is still identifying
itself (tmux pull request 4980). :attr:`PaneStreams.gate` therefore serializes everything this
server does that could meet that window: a control client connecting (until its first line), a
control client leaving (until it exited), and the REST handlers creating or killing sessions.
Sessions created or killed elsewhere at the same millisecond remain a (small) risk.
"""

from __future__ import annotations

import asyncio
import codecs
import contextlib
import functools
import logging
import re
import time
from collections import deque
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from .errors import ClaudeSessionsError
from .tmux import exact_pane, scrubbed_environment

if TYPE_CHECKING:
    from .events import SessionEvent, SessionWatcher
    from .sessions import ClaudeSessions, Session

#: How much of a stopped session's log is replayed to a viewer (the tail, raw bytes).
LOG_REPLAY_BYTES = 1024 * 1024

#: Delivered bytes remembered to find our place in the log when tmux drops the last output.
TAIL_BYTES = 4096
MATCH_BYTES = 256

#: Format of the size/cursor query sent with every capture.
_GEOMETRY = "#{pane_width} #{pane_height} #{cursor_x} #{cursor_y}"
_PANE_QUERY = "#{@jc_pane} #{pane_id}"
_LAYOUT_PANE = re.compile(rb"(\d+)x(\d+),\d+,\d+,(\d+)")

Reply = Callable[[bool, list[bytes]], None]


class Viewer(Protocol):
    """What a stream needs from one viewer (the websocket handler implements it)."""

    def send_output(self, data: bytes) -> None:
        """Terminal bytes, in order."""

    def send_message(self, message: dict[str, Any]) -> None:
        """A JSON control message."""

    def end(self) -> None:
        """Close the view normally (after the exit message)."""


def decode_output(escaped: bytes) -> bytes:
    """Bytes of one ``%output`` line: tmux escapes bytes below 32 and ``\\`` as ``\\ooo``."""
    if b"\\" not in escaped:
        return escaped
    return codecs.escape_decode(escaped)[0]  # type: ignore[attr-defined,no-any-return]


def screen_bytes(capture: list[bytes], cursor_x: int, cursor_y: int) -> bytes:
    """A captured screen (history included) as one stream a fresh terminal can replay.

    ``capture-pane -e`` writes colour changes only where they change, across lines, so the lines
    are joined, not printed one by one; then attributes are reset and the cursor put back.
    """
    return b"\r\n".join(capture) + b"\x1b[0m" + f"\x1b[{cursor_y + 1};{cursor_x + 1}H".encode()


def log_tail(path: Path, limit: int = LOG_REPLAY_BYTES) -> bytes:
    """The last ``limit`` bytes of a task log (its rotated part first when the log is short)."""
    parts: list[bytes] = []
    remaining = limit
    for part in (path, path.with_name(path.name + ".1")):
        if remaining <= 0 or not part.exists():
            continue
        with part.open("rb") as handle:
            size = handle.seek(0, 2)
            handle.seek(max(0, size - remaining))
            data = handle.read()
        parts.insert(0, data)
        remaining -= len(data)
    return b"".join(parts)


def missing_output(path: Path, delivered: bytes, settle: float = 0.3) -> bytes | None:
    """What the log holds after the last bytes a viewer got (blocking); None when it cannot tell.

    The log is written by its own process: wait until it stops growing (at most ``settle`` s).
    The place is found by the last ``MATCH_BYTES`` delivered, searched from the end.
    """
    key = delivered[-MATCH_BYTES:]
    if len(key) < min(MATCH_BYTES, 16):
        return None
    deadline, size = time.monotonic() + settle, -1
    while time.monotonic() < deadline:
        now = path.stat().st_size if path.exists() else 0
        if now == size:
            break
        size = now
        time.sleep(0.03)
    data = log_tail(path, 256 * 1024)
    at = data.rfind(key)
    return None if at < 0 else data[at + len(key) :]


def last_screen(manager: ClaudeSessions, session: Session, history: bool = True) -> bytes:
    """What a session that is not running last showed: its dead pane, else its log (blocking).

    ``history=False`` gives only the visible screen, drawn over a cleared one (a repaint).
    """
    if session.state == "exited":
        target = exact_pane(session.name)
        try:
            out = manager.tmux.run(
                ["display-message", "-p", "-t", target, _GEOMETRY],
                ["capture-pane", "-p", "-e", *(["-S", "-"] if history else []), "-t", target],
            )
        except ClaudeSessionsError:
            pass
        else:
            geometry, _, capture = out.partition("\n")
            numbers = [int(n) for n in geometry.split()] if geometry.strip() else [0, 0, 0, 0]
            lines = capture.encode().split(b"\n")
            screen = screen_bytes(lines[:-1] if lines and not lines[-1] else lines, *numbers[2:4])
            return screen if history else b"\x1b[0m\x1b[H\x1b[2J" + screen
    return log_tail(manager.log_path(session.id)) if history else b""


_BACKGROUND: set[asyncio.Task[Any]] = set()


def background(work: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
    """Run a coroutine on its own, kept referenced until done; its failure is logged."""
    task = asyncio.ensure_future(work)
    _BACKGROUND.add(task)
    task.add_done_callback(_done)
    return task


def _done(task: asyncio.Task[Any]) -> None:
    _BACKGROUND.discard(task)
    if not task.cancelled() and task.exception() is not None:
        logging.getLogger(__name__).error("jupyter-claude background task failed", exc_info=task.exception())


async def run_blocking(function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Run a blocking call (a tmux invocation) in the default executor, off the event loop."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(None, functools.partial(function, *args, **kwargs))


class PaneStream:
    """One session's control-mode client and the viewers it feeds."""

    def __init__(self, streams: PaneStreams, task_id: str) -> None:
        self.streams = streams
        self.task_id = task_id
        self.name = streams.manager.session_name(task_id)
        self.viewers: set[Viewer] = set()
        self.waiting: list[Viewer] = []
        self.ending = False
        self._process: asyncio.subprocess.Process | None = None
        self._reader: asyncio.Task[None] | None = None
        self._replies: deque[Reply] = deque()
        self._block: list[bytes] | None = None
        self._block_id = b""
        self._pane: bytes | None = None
        self._size: tuple[int, int] | None = None
        self._cursor = (0, 0)
        self._tail = bytearray()
        self._capturing = False
        self._attached = False
        self._unlisten: Callable[[], None] | None = None
        self._finished = asyncio.Event()
        self._identified = asyncio.Event()

    # -- life cycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        """Start the control client; once attached it asks which pane is the task's."""
        argv = self.streams.manager.tmux.argv(
            "-C", "attach-session", "-t", f"={self.name}", "-f", "read-only,ignore-size"
        )
        async with self.streams.gate:
            self._process = await asyncio.create_subprocess_exec(
                *argv,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.DEVNULL,
                env=scrubbed_environment(),
            )
            self._reader = background(self._read())
            # Its first line means tmux has finished identifying it (see the module docstring).
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._identified.wait(), 5)
        self._unlisten = self.streams.watcher.listen(self._on_event)

    def add(self, viewer: Viewer) -> None:
        """Let a viewer in: it gets the screen, then the live bytes."""
        if self.ending:
            background(self.streams.replay_offline(viewer, self.task_id))
            return
        self.waiting.append(viewer)
        self._request_screen()

    def remove(self, viewer: Viewer) -> None:
        """A viewer left; the last one to leave stops the control client."""
        if viewer in self.viewers:
            self.viewers.discard(viewer)
        elif viewer in self.waiting:
            self.waiting.remove(viewer)
        else:
            return
        if not self.viewers and not self.waiting and not self.ending:
            self.ending = True
            self.streams.forget(self)
            background(self._close())

    async def wait_closed(self) -> None:
        """Until the control client is gone and the stream left the registry."""
        await self._finished.wait()

    # -- the control client -------------------------------------------------------------------

    def _send(self, line: str, *replies: Reply) -> None:
        process = self._process
        if process is None or process.stdin is None or process.returncode is not None:
            for reply in replies:
                reply(False, [])
            return
        self._replies.extend(replies)
        process.stdin.write(line.encode() + b"\n")

    async def _read(self) -> None:
        assert self._process is not None and self._process.stdout is not None
        stdout = self._process.stdout
        rest = b""
        try:
            while True:
                chunk = await stdout.read(1 << 16)
                self._identified.set()
                if not chunk:
                    break
                lines = (rest + chunk).split(b"\n")
                rest = lines.pop()
                if self._handle(lines):
                    break
        except Exception:  # pragma: no cover - a bug here must not leave viewers hanging
            self.streams.log.exception("stream reader for %s failed", self.name)
        finally:
            self._identified.set()
            self._finish_soon()

    def _handle(self, lines: list[bytes]) -> bool:
        """Dispatch control-mode lines; True at ``%exit``."""
        output: list[bytes] = []
        prefix = self._output_prefix()
        for line in lines:
            if self._block is not None:
                if line.startswith((b"%end ", b"%error ")) and line.split(b" ", 1)[1] == self._block_id:
                    block, self._block = self._block, None
                    # Blocks with flags 0 answer no command of ours (the attach itself).
                    if not self._block_id.endswith(b" 0") and self._replies:
                        self._replies.popleft()(line.startswith(b"%end "), block)
                    prefix = self._output_prefix()
                else:
                    self._block.append(line)
            elif prefix is not None and line.startswith(prefix):
                output.append(decode_output(line[len(prefix) :]))
            elif line.startswith(b"%begin "):
                # Everything so far precedes the reply: deliver it before a viewer may join.
                self._deliver(output)
                output = []
                self._block = []
                self._block_id = line.split(b" ", 1)[1]
            elif line.startswith(b"%exit"):
                self._deliver(output)
                return True
            elif line.startswith(b"%session-changed ") and not self._attached:
                # Attached: tmux sends %output from now on. (Commands sent earlier would run
                # before the attach, and output between them and it would be lost.)
                self._attached = True
                self._send(f"display-message -p -t '={self.name}:' '{_PANE_QUERY}'", self._on_pane)
            elif line.startswith(b"%layout-change ") and self._pane:
                self._on_layout(line)
        self._deliver(output)
        return False

    def _output_prefix(self) -> bytes | None:
        return b"%output " + self._pane + b" " if self._pane else None

    def _deliver(self, output: list[bytes]) -> None:
        if not output or not self.viewers:
            return
        data = b"".join(output)
        self._tail += data
        del self._tail[:-TAIL_BYTES]
        for viewer in list(self.viewers):
            viewer.send_output(data)

    # -- replies ------------------------------------------------------------------------------

    def _on_pane(self, ok: bool, block: list[bytes]) -> None:
        words = block[0].split() if ok and block else []
        if not words:
            self._finish_soon()
            return
        self._pane = words[0] if words[0].startswith(b"%") else words[-1]
        self._request_screen()

    def _request_screen(self) -> None:
        if self._pane is None or self._capturing or not self.waiting:
            return
        self._capturing = True
        pane = self._pane.decode()
        self._send(
            f"display-message -p -t {pane} '{_GEOMETRY}' ; capture-pane -p -e -S - -t {pane}",
            self._on_geometry,
            self._on_capture,
        )

    def _on_geometry(self, ok: bool, block: list[bytes]) -> None:
        numbers = [int(n) for n in block[0].split()] if ok and block else []
        if len(numbers) == 4:
            self._size = (numbers[0], numbers[1])
            self._cursor = (numbers[2], numbers[3])

    def _on_capture(self, ok: bool, block: list[bytes]) -> None:
        self._capturing = False
        if not ok:
            self._finish_soon()
            return
        screen = screen_bytes(block, *self._cursor)
        joining, self.waiting = self.waiting, []
        for viewer in joining:
            if self._size is not None:
                viewer.send_message({"type": "size", "cols": self._size[0], "rows": self._size[1]})
            viewer.send_output(screen)
            self.viewers.add(viewer)

    def _on_layout(self, line: bytes) -> None:
        assert self._pane is not None
        number = self._pane[1:]
        for width, height, pane in _LAYOUT_PANE.findall(line.split(b" ")[2] if b" " in line else b""):
            if pane == number and (int(width), int(height)) != self._size:
                self._size = (int(width), int(height))
                for viewer in list(self.viewers):
                    viewer.send_message({"type": "size", "cols": self._size[0], "rows": self._size[1]})

    def _on_event(self, event: SessionEvent) -> None:
        if self.ending:
            return
        sessions = event.sessions if event.kind == "snapshot" else (event.session,)
        for session in sessions:
            if session is not None and session.name == self.name and not session.running:
                # The command exited (dead pane kept): flush what tmux still holds, then end.
                self._send("display-message -p x", lambda ok, block: self._finish_soon())
                return
        if event.kind == "snapshot" and not any(s.name == self.name for s in event.sessions):
            self._finish_soon()

    # -- ending -------------------------------------------------------------------------------

    def _finish_soon(self) -> None:
        if not self.ending:
            self.ending = True
            self.streams.forget(self)
            background(self._finish())

    async def _finish(self) -> None:
        """The session ended: send each viewer the exit message and close it, then clean up."""
        manager = self.streams.manager
        try:
            session: Session = await run_blocking(manager.status, self.task_id)
        except ClaudeSessionsError:
            from .sessions import Session

            session = Session(id=self.task_id, name=self.name)
        message = {"type": "exit", "session": session.to_json()}
        if self.viewers:
            # tmux drops a control client's pending %output when the pane dies: catch up from the
            # log, else repaint the dead pane's final screen.
            rest = await run_blocking(missing_output, manager.log_path(self.task_id), bytes(self._tail))
            if rest is None and session.state == "exited":
                rest = await run_blocking(last_screen, manager, session, False)
            for viewer in self.viewers:
                if rest:
                    viewer.send_output(rest)
        if self.waiting:
            screen = await run_blocking(last_screen, manager, session)
            for viewer in self.waiting:
                viewer.send_output(screen)
        for viewer in [*self.viewers, *self.waiting]:
            viewer.send_message(message)
            viewer.end()
        self.viewers.clear()
        self.waiting.clear()
        await self._close()

    async def _close(self) -> None:
        """Stop the control client (end of its stdin) and leave the registry."""
        self.streams.forget(self)
        if self._unlisten is not None:
            self._unlisten()
            self._unlisten = None
        process = self._process
        if process is not None and process.returncode is None:
            async with self.streams.gate:
                if process.stdin is not None and not process.stdin.is_closing():
                    process.stdin.close()
                try:
                    await asyncio.wait_for(process.wait(), 2)
                except asyncio.TimeoutError:
                    process.kill()
                    await process.wait()
        if self._reader is not None and self._reader is not asyncio.current_task():
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
        self._finished.set()


class PaneStreams:
    """Every live pane stream of the server, by task id: at most one control client per session."""

    def __init__(self, manager: ClaudeSessions, watcher: SessionWatcher, log: Any) -> None:
        self.manager = manager
        self.watcher = watcher
        self.log = log
        #: Held while a control client connects or leaves, and while sessions are created or
        #: killed by this server: tmux 3.3a must not notify a control client that is connecting.
        self.gate = asyncio.Lock()
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
        streams = list(self._streams.values())
        for stream in streams:
            for viewer in [*stream.viewers, *stream.waiting]:
                viewer.end()
            stream.viewers.clear()
            stream.waiting.clear()
            stream.ending = True
            await stream._close()
