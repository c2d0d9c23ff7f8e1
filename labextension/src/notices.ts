/**
 * When to tell the person about a task, the pure part: which settled change
 * calls for a notice (it starts waiting for you, or waits on a new permission
 * request; it is stopped by a rate or usage limit; it finishes its turn; it exits), what the notice says, and a
 * per-task debounce so a task that flips state repeatedly within a second
 * gives one notice about where it settled, never a storm. ./notifier shows
 * the notices (JupyterLab toasts, and the browser's own when opted in).
 */
import { IPendingSummary, ISession } from './api';
import { badgeFor, badgeOf } from './badges';
import { limitLine } from './usage';

/** What a notice is about. */
export type NoticeKind = 'waiting' | 'idle' | 'exited' | 'limited';

/** A change worth telling the person about. */
export interface INotice {
  kind: NoticeKind;
  /** The task id. */
  id: string;
  /** The session as it settled. */
  session: ISession;
  /** The permission request it waits on, if any. */
  pending: IPendingSummary | null;
}

/** States in which the agent has a turn under way: idle after one of them is a finished turn. */
const BUSY = new Set(['working', 'waiting', 'limited']);

/** The waiting state's name in the vocabulary. */
const WAITING = 'waiting';

/** What a settled change of one task calls for, or null (`before` null: no session was known). */
export function noticeFor(before: ISession | null, after: ISession): NoticeKind | null {
  const was = before?.state ?? 'stopped';
  const now = after.state;
  if (now === WAITING || after.pending) {
    const wasWaiting = was === WAITING || Boolean(before?.pending);
    const request = after.pending?.request ?? null;
    if (!wasWaiting || (request !== null && request !== (before?.pending?.request ?? null))) {
      return 'waiting';
    }
    return null;
  }
  if (now === 'limited') {
    return was === 'limited' ? null : 'limited';
  }
  if (now === 'idle' && BUSY.has(was)) {
    return 'idle';
  }
  // Run again and exited again between two settled changes: a new exit all the same.
  const newRun = after.started_at !== null && after.started_at !== (before?.started_at ?? null);
  if (now === 'exited' && (was !== 'exited' || newRun)) {
    return 'exited';
  }
  return null;
}

/** The one line a notice shows, in the vocabulary's words (at most 140 characters). */
export function noticeMessage(notice: INotice): string {
  const task = `Task ${notice.id}`;
  let text: string;
  if (notice.kind === 'waiting') {
    const state = badgeOf(WAITING).text;
    const pending = notice.pending;
    text = pending ? `${task} is ${state}: ${pending.tool} — ${pending.summary}` : `${task} is ${state}`;
  } else if (notice.kind === 'limited') {
    const limit = notice.session.limit;
    const state = badgeOf('limited').text;
    text = limit ? `${task} is ${state}, ${limitLine(limit)}: ${limit.reason}` : `${task} is ${state}`;
  } else if (notice.kind === 'idle') {
    text = `${task} finished its turn: ${badgeFor(notice.session).text}`;
  } else {
    text = `${task} ${badgeFor(notice.session).text}`;
  }
  return text.length > 140 ? `${text.slice(0, 139)}…` : text;
}

/**
 * Whether a notice also goes to the browser's own notifications: only when
 * opted in, while the JupyterLab tab is in the background, and once the
 * browser has granted the permission.
 */
export function wantsDesktop(optedIn: boolean, hidden: boolean, permission: string | null): boolean {
  return optedIn && hidden && permission === 'granted';
}

/** What the debouncer calls. */
export interface INoticeSink {
  /** A settled change that calls for a notice. */
  notify(notice: INotice): void;
  /** Every settled change (notice or not), e.g. to close a toast whose request went away. */
  settled?(session: ISession): void;
}

/**
 * Per task: a change settles once the task has kept still for `quiet` ms (or
 * `maxWait` ms after its first unsettled change, so a task that never keeps
 * still is still reported); the settled session is compared with the last
 * settled one, and at most one notice results.
 */
export class NoticeDebouncer {
  constructor(
    private readonly sink: INoticeSink,
    readonly quiet = 1000,
    readonly maxWait = 5000
  ) {}

  /**
   * A snapshot of every session. The first one only sets what each task is
   * at (opening JupyterLab tells nothing); a later one (after a reconnect) is
   * a change like any other, as the tasks went on meanwhile.
   */
  snapshot(sessions: readonly ISession[]): void {
    if (this._seenSnapshot) {
      sessions.forEach(session => this.update(session));
      return;
    }
    this._seenSnapshot = true;
    for (const session of sessions) {
      if (!this._tasks.has(session.id)) {
        this._tasks.set(session.id, { settled: session, latest: session, timer: null, since: 0 });
      }
    }
  }

  /** A pushed change of one session. */
  update(session: ISession): void {
    const now = Date.now();
    let task = this._tasks.get(session.id);
    if (!task) {
      task = { settled: null, latest: session, timer: null, since: now };
      this._tasks.set(session.id, task);
    }
    task.latest = session;
    if (task.timer === null) {
      task.since = now;
    } else {
      clearTimeout(task.timer);
    }
    const wait = Math.max(0, Math.min(this.quiet, task.since + this.maxWait - now));
    task.timer = setTimeout(() => this._settle(session.id), wait);
  }

  /** Tasks with a change not settled yet. */
  get unsettled(): number {
    return [...this._tasks.values()].filter(task => task.timer !== null).length;
  }

  dispose(): void {
    for (const task of this._tasks.values()) {
      if (task.timer !== null) {
        clearTimeout(task.timer);
      }
    }
    this._tasks.clear();
  }

  private _settle(id: string): void {
    const task = this._tasks.get(id);
    if (!task) {
      return;
    }
    task.timer = null;
    const before = task.settled;
    const after = task.latest;
    task.settled = after;
    const kind = noticeFor(before, after);
    if (kind) {
      this.sink.notify({ kind, id, session: after, pending: after.pending ?? null });
    }
    this.sink.settled?.(after);
  }

  private _tasks = new Map<
    string,
    {
      settled: ISession | null;
      latest: ISession;
      timer: ReturnType<typeof setTimeout> | null;
      since: number;
    }
  >();
  private _seenSnapshot = false;
}
