/**
 * The front end's view of the server: task files and live sessions, merged.
 *
 * Tasks come from GET claude/tasks (on start, on refresh, after the events
 * socket reconnects); sessions come from the same reply and are then kept
 * current by claude/events. The sidebar, the document toolbar button and the
 * commands all read this one model.
 */
import { PathExt } from '@jupyterlab/coreutils';
import { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';

import { ClaudeAPI, ClaudeAPIError, ISession, ITask, ITaskProblem } from './api';
import { EventsConnection, ISessionEvent } from './events';

/** One line of the sidebar: a task file, a session, or both. */
export interface IRow {
  id: string;
  title: string | null;
  status: string | null;
  path: string | null;
  valid: boolean;
  invalidReason: string | null;
  session: ISession | null;
}

/** Why the panel can't work, shown as a banner. */
export interface IBanner {
  kind: 'no-extension' | 'no-tmux' | 'error';
  title: string;
  message: string;
}

/** How a session state is shown. */
export interface IBadge {
  state: string;
  icon: string;
  label: string;
}

/** States in which a session's process is alive. */
const LIVE_STATES = new Set(['running', 'working', 'waiting', 'idle']);

const ICONS: Record<string, string> = {
  running: '🟢',
  working: '🟢',
  waiting: '🟡',
  idle: '🔵',
  exited: '🔴',
  stopped: '⚫'
};

/** The badge of a session (a missing session is "stopped"). */
export function badgeFor(session: ISession | null): IBadge {
  const state = session?.state ?? 'stopped';
  let label = state;
  if (state === 'exited' && session?.exit_status !== null && session?.exit_status !== undefined) {
    label = `exited (${session.exit_status})`;
  }
  return { state, icon: ICONS[state] ?? '⚪', label };
}

/** Whether the session's command is alive (Stop makes sense, Run does not). */
export function isLive(session: ISession | null): boolean {
  if (session === null || session.state === 'exited' || session.state === 'stopped') {
    return false;
  }
  // A state this version doesn't know yet: trust the `running` flag.
  return LIVE_STATES.has(session.state) || session.running === true;
}

/** The shared store of tasks and sessions. */
export class ClaudeModel implements IDisposable {
  constructor(readonly api: ClaudeAPI) {
    this.events = new EventsConnection(api);
    this.events.changed.connect(this._onEvent, this);
  }

  /** The `claude/events` connection feeding the badges. */
  readonly events: EventsConnection;

  /** Emitted whenever rows, problems or the banner change. */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /** Tasks in the server's order, then sessions that have no task file. */
  get rows(): IRow[] {
    const rows: IRow[] = this._tasks.map(task => ({
      id: task.id,
      title: task.title,
      status: task.status,
      path: task.path,
      valid: task.valid !== false,
      invalidReason: task.invalid_reason ?? null,
      session: this._sessions.get(task.id) ?? null
    }));
    const known = new Set(rows.map(row => row.id));
    const orphans = [...this._sessions.values()]
      .filter(session => !known.has(session.id))
      .sort((a, b) => a.id.localeCompare(b.id, undefined, { numeric: true }));
    for (const session of orphans) {
      rows.push({
        id: session.id,
        title: null,
        status: null,
        path: null,
        valid: true,
        invalidReason: null,
        session
      });
    }
    return rows;
  }

  /** Task files the server could not read. */
  get problems(): ITaskProblem[] {
    return this._problems;
  }

  /** The banner to show, or null when all is well. */
  get banner(): IBanner | null {
    return this._banner;
  }

  /** Whether the task list has been fetched at least once. */
  get loaded(): boolean {
    return this._loaded;
  }

  get isDisposed(): boolean {
    return this._disposed;
  }

  /** The latest known session of a task, or null. */
  session(id: string): ISession | null {
    return this._sessions.get(id) ?? null;
  }

  /** The id of the task whose file is at `path` (a contents path), or null. */
  idForPath(path: string): string | null {
    const wanted = normalizePath(path);
    const task = this._tasks.find(t => t.path && normalizePath(t.path) === wanted);
    return task?.id ?? null;
  }

  /** Start listening for events and fetch the task list. */
  start(): Promise<void> {
    this.events.connect();
    return this.refresh();
  }

  /** Fetch the task list again; failures end up in the banner. */
  async refresh(): Promise<void> {
    if (this._refreshing) {
      return this._refreshing;
    }
    this._refreshing = this._fetchTasks().finally(() => {
      this._refreshing = null;
    });
    return this._refreshing;
  }

  /**
   * How many pushes the events socket has delivered: take it before a REST
   * request, hand it to `updateSession` with the reply.
   */
  get pushes(): number {
    return this._pushes;
  }

  /**
   * Record a session returned by a REST reply (events may be lagging or down).
   * With `since`, a reply older than a push received meanwhile is dropped: the
   * push is newer (e.g. a start reply arriving after the session was killed).
   */
  updateSession(session: ISession, since?: number): void {
    if (since !== undefined && since !== this._pushes) {
      return;
    }
    this._sessions.set(session.id, session);
    this._changed.emit();
  }

  /** Show a banner for errors that mean the panel can't work. */
  noteError(error: unknown): void {
    const banner = bannerFor(error);
    if (banner && banner.kind !== 'error') {
      this._setBanner(banner);
    }
  }

  dispose(): void {
    if (this._disposed) {
      return;
    }
    this._disposed = true;
    this.events.dispose();
    Signal.clearData(this);
  }

  private async _fetchTasks(): Promise<void> {
    try {
      const since = this._pushes;
      const reply = await this.api.listTasks();
      this._tasks = reply.tasks ?? [];
      this._problems = reply.problems ?? [];
      for (const task of this._tasks) {
        // Pushed sessions are newer than this reply when a push came meanwhile.
        if (task.session && since === this._pushes) {
          this._sessions.set(task.id, task.session);
        }
      }
      this._loaded = true;
      this._banner = null;
    } catch (error) {
      this._banner = bannerFor(error);
    }
    this._changed.emit();
  }

  private _onEvent(_: EventsConnection, change: ISessionEvent): void {
    this._pushes += 1;
    if (change.event === 'snapshot') {
      this._sessions = new Map(change.sessions.map(s => [s.id, s]));
      // The events route answered, so the extension is there: after a server
      // restart the task files may have changed too.
      if (this._seenSnapshot || this._banner) {
        void this.refresh();
      }
      this._seenSnapshot = true;
    } else {
      for (const session of change.sessions) {
        this._sessions.set(session.id, session);
      }
    }
    this._changed.emit();
  }

  private _setBanner(banner: IBanner | null): void {
    this._banner = banner;
    this._changed.emit();
  }

  private _changed = new Signal<this, void>(this);
  private _tasks: ITask[] = [];
  private _problems: ITaskProblem[] = [];
  private _sessions = new Map<string, ISession>();
  private _banner: IBanner | null = null;
  private _loaded = false;
  private _pushes = 0;
  private _seenSnapshot = false;
  private _refreshing: Promise<void> | null = null;
  private _disposed = false;
}

/** The banner an error calls for. */
export function bannerFor(error: unknown): IBanner {
  if (error instanceof ClaudeAPIError) {
    if (error.isTmuxMissing) {
      return {
        kind: 'no-tmux',
        title: 'tmux is missing',
        message: error.reason || 'tmux is not installed where the Jupyter server runs.'
      };
    }
    if (error.isMissingExtension) {
      return {
        kind: 'no-extension',
        title: 'Server extension not enabled',
        message:
          'Install the jupyter-claude Python package where the Jupyter server runs, ' +
          'run "jupyter server extension enable jupyter_claude", then restart Jupyter.'
      };
    }
    return { kind: 'error', title: 'Claude sessions unavailable', message: error.reason };
  }
  return {
    kind: 'error',
    title: 'Claude sessions unavailable',
    message: String((error as Error)?.message ?? error)
  };
}

/** A contents path without drive prefix or leading "./" or "/". */
function normalizePath(path: string): string {
  const local = path.includes(':') ? path.slice(path.indexOf(':') + 1) : path;
  return PathExt.normalize(local).replace(/^\/+/, '');
}
