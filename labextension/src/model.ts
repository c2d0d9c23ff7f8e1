/**
 * The front end's view of the server: task files and live sessions, merged.
 *
 * Tasks come from GET claude/tasks (on start, on refresh, after the events
 * socket reconnects); sessions come from the same reply and are then kept
 * current by claude/events. The sidebar, the document toolbar button and the
 * commands all read this one model. When tmux is missing or failing, session
 * states are unknown (not "stopped") until the server can list them again.
 */
import { PathExt } from '@jupyterlab/coreutils';
import { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';

import {
  ClaudeAPI,
  ClaudeAPIError,
  IBoard,
  IConflictsReply,
  INewTask,
  ISession,
  ISessionsError,
  ITask,
  ITaskProblem,
  TMUX_NOT_FOUND
} from './api';
import { DEFAULT_COLUMNS, naturalRanks, OTHER } from './board';
import { badgeForRow, IBadge } from './badges';
import { EventsConnection, ISessionEvent } from './events';
import { conflictsOf, ITaskConflict } from './review';

/** One line of the sidebar: a task file, a session, or both. */
export interface IRow {
  id: string;
  title: string | null;
  status: string | null;
  path: string | null;
  valid: boolean;
  invalidReason: string | null;
  /** The session; null when there is none, or when session states are unknown. */
  session: ISession | null;
  /** Why session states are unknown (tmux missing or failing), else null. */
  unknownReason: string | null;
}

/** Why the panel can't work (or can't tell session states), shown as a banner. */
export interface IBanner {
  kind: 'no-extension' | 'no-tmux' | 'no-sessions' | 'error';
  title: string;
  message: string;
}

/**
 * The sidebar's rows: tasks in the server's order, then sessions that have no
 * task row, by id (numbers in numeric order). With `sessionsError`, no row
 * has a session: their states are unknown.
 */
export function mergeRows(
  tasks: readonly ITask[],
  sessions: ReadonlyMap<string, ISession>,
  sessionsError: ISessionsError | null
): IRow[] {
  const unknownReason = sessionsError ? sessionsError.reason : null;
  const sessionOf = (id: string): ISession | null =>
    unknownReason === null ? sessions.get(id) ?? null : null;
  const rows: IRow[] = tasks.map(task => ({
    id: task.id,
    title: task.title,
    status: task.status,
    path: task.path,
    valid: task.valid !== false,
    invalidReason: task.invalid_reason ?? null,
    session: sessionOf(task.id),
    unknownReason
  }));
  const known = new Set(rows.map(row => row.id));
  const orphans = [...sessions.keys()]
    .filter(id => !known.has(id))
    .sort((a, b) => a.localeCompare(b, undefined, { numeric: true }));
  for (const id of orphans) {
    rows.push({
      id,
      title: null,
      status: null,
      path: null,
      valid: true,
      invalidReason: null,
      session: sessionOf(id),
      unknownReason
    });
  }
  return rows;
}

/**
 * The row keys the model asks GET claude/tasks for: a compact listing (no
 * front matter, sessions listed once), so 10,000 tasks stay small.
 */
export const LISTING_FIELDS: readonly string[] = [
  'id',
  'title',
  'status',
  'priority',
  'path',
  'valid',
  'invalid_reason',
  'version'
];

/** The shared store of tasks and sessions. */
export class ClaudeModel implements IDisposable {
  constructor(readonly api: ClaudeAPI) {
    this.events = new EventsConnection(api);
    this.events.changed.connect(this._onEvent, this);
    this.events.conflictsChanged.connect((_, report) => this._setConflicts(report));
    // Task files changed on disk (any client, the CLI, a checkout): read the list again.
    this.events.tasksChanged.connect(() => this._refreshAfterChange());
  }

  /** The `claude/events` connection feeding the badges. */
  readonly events: EventsConnection;

  /** Emitted whenever rows, problems or the banner change. */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /** Tasks in the server's order, then sessions that have no task file (made once per change). */
  get rows(): IRow[] {
    if (this._rows === null) {
      this._rows = mergeRows(this._tasks, this._sessions, this._sessionsError);
      this._rowById = null;
    }
    return this._rows;
  }

  /**
   * Each row's place in natural id order (t1, t2, t10), worked out again only
   * when the ids change (not when a session does).
   */
  get naturalRanks(): ReadonlyMap<string, number> {
    const rows = this.rows;
    if (rows !== this._rankedRows) {
      const ids = this._rankedIds;
      const same = rows.length === ids.length && rows.every((row, at) => row.id === ids[at]);
      this._rankedRows = rows;
      if (!same) {
        this._rankedIds = rows.map(row => row.id);
        this._ranks = naturalRanks(this._rankedIds);
      }
    }
    return this._ranks;
  }

  /** The row of a task or session by id, or null. */
  row(id: string): IRow | null {
    if (this._rowById === null) {
      this._rowById = new Map(this.rows.map(row => [row.id, row]));
    }
    return this._rowById.get(id) ?? null;
  }

  /** The task files, in the server's order. */
  get tasks(): readonly ITask[] {
    return this._tasks;
  }

  /** The task file row of an id, or null. */
  task(id: string): ITask | null {
    return this._taskById.get(id) ?? null;
  }

  /** The board's columns (the server's setting once loaded, else the default ones). */
  get board(): IBoard {
    return this._board ?? { columns: [...DEFAULT_COLUMNS], other: OTHER };
  }

  /** Ask the server for its board columns (once; `changed` is emitted when they arrive). */
  async loadBoard(): Promise<IBoard> {
    if (this._board === null) {
      try {
        this._board = await this.api.board();
        this._changed.emit();
      } catch (error) {
        this.noteError(error);
      }
    }
    return this.board;
  }

  /** Write a new task file; the model lists it at once. */
  async createTask(task: INewTask): Promise<ITask> {
    const row = await this.api.createTask(task);
    this.updateTask(row);
    return row;
  }

  /**
   * Set a task's status, naming the version the model has (a file changed
   * since is refused with a 409: the task is then read again and the error
   * thrown).
   */
  async moveTask(id: string, status: string): Promise<ITask> {
    const version = this.task(id)?.version ?? null;
    try {
      const row = await this.api.moveTask(id, status, version);
      this.updateTask(row);
      return row;
    } catch (error) {
      if (error instanceof ClaudeAPIError && (error.isConflict || error.status === 404)) {
        await this.reloadTask(id);
      }
      throw error;
    }
  }

  /** Read one task again from the server (after a refused move, say). */
  async reloadTask(id: string): Promise<void> {
    try {
      this.updateTask(await this.api.getTask(id));
    } catch (error) {
      if (error instanceof ClaudeAPIError && error.status === 404) {
        this._tasks = this._tasks.filter(task => task.id !== id);
        this._taskById.delete(id);
        this._invalidate();
        this._changed.emit();
      }
    }
  }

  /** Put a task row the server returned (created, moved, read again) in place of the old one. */
  updateTask(row: ITask): void {
    const { body: _body, ...task } = row as ITask & { body?: string };
    const index = this._tasks.findIndex(old => old.id === task.id);
    this._tasks = index < 0 ? [...this._tasks, task] : this._tasks.map((old, at) => (at === index ? task : old));
    this._taskById.set(task.id, task);
    if (task.session && !this._sessionsError) {
      this._sessions.set(task.id, task.session);
    }
    this._invalidate();
    this._changed.emit();
  }

  /** Task files the server could not read. */
  get problems(): ITaskProblem[] {
    return this._problems;
  }

  /** The banner to show, or null when all is well. */
  get banner(): IBanner | null {
    return this._banner ?? sessionsBanner(this._sessionsError);
  }

  /** Why session states are unknown (tmux missing or failing), or null. */
  get sessionsError(): ISessionsError | null {
    return this._sessionsError;
  }

  /** Whether the task list has been fetched at least once. */
  get loaded(): boolean {
    return this._loaded;
  }

  get isDisposed(): boolean {
    return this._disposed;
  }

  /** The latest known session of a task, or null (also while session states are unknown). */
  session(id: string): ISession | null {
    return this._sessionsError ? null : this._sessions.get(id) ?? null;
  }

  /**
   * How many sessions wait on a permission request (none while session states
   * are unknown), counted without making the rows.
   */
  get pendingCount(): number {
    let count = 0;
    if (this._sessionsError === null) {
      for (const session of this._sessions.values()) {
        if (session.pending) {
          count++;
        }
      }
    }
    return count;
  }

  /** The badge of a task, as its sidebar row shows it. */
  badge(id: string): IBadge {
    const row = this.row(id);
    return badgeForRow(
      row ?? {
        valid: true,
        session: this.session(id),
        unknownReason: this._sessionsError?.reason ?? null
      }
    );
  }

  /** The last conflicts report (GET claude/conflicts, then pushed), or null before the first. */
  get conflicts(): IConflictsReply | null {
    return this._conflicts;
  }

  /** The conflicts a task is in: the other side (a task id or "BASE") and the files. */
  conflictsFor(id: string): ITaskConflict[] {
    return conflictsOf(this._conflicts, id);
  }

  /** Ask the server for the conflicts now (they are pushed when they change afterwards). */
  async refreshConflicts(): Promise<void> {
    try {
      this._setConflicts(await this.api.conflicts());
    } catch (error) {
      console.warn('jupyter-claude: cannot read the conflicts between tasks', error);
    }
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
    void this.refreshConflicts();
    return this.refresh();
  }

  /** Fetch the task list again; failures end up in the banner. */
  async refresh(): Promise<void> {
    if (this._refreshing) {
      return this._refreshing;
    }
    this._refreshing = this._fetchTasks().finally(() => {
      this._refreshing = null;
      if (this._refreshAgain) {
        this._refreshAgain = false;
        void this.refresh();
      }
    });
    return this._refreshing;
  }

  /** Fetch the task list after a change: again after the fetch under way, which may predate it. */
  private _refreshAfterChange(): void {
    if (this._refreshing) {
      this._refreshAgain = true;
    } else {
      void this.refresh();
    }
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
    if (this._sessionsError) {
      // tmux answered this request: list the others again.
      this._sessionsError = null;
      void this.refresh();
    }
    this._invalidate();
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
      const reply = await this.api.listTasks({ fields: LISTING_FIELDS });
      this._tasks = reply.tasks ?? [];
      this._taskById = new Map(this._tasks.map(task => [task.id, task]));
      this._problems = reply.problems ?? [];
      // Pushed sessions are newer than this reply when a push came meanwhile.
      if (since === this._pushes) {
        this._sessionsError = reply.sessions_error ?? null;
        if (reply.sessions) {
          // A compact reply lists every session once: that is the whole truth now.
          this._sessions = new Map(reply.sessions.map(session => [session.id, session]));
        }
        for (const task of this._tasks) {
          if (task.session) {
            this._sessions.set(task.id, task.session);
          }
        }
      }
      keepStopped(this._sessions, this._tasks);
      this._invalidate();
      this._loaded = true;
      this._banner = null;
    } catch (error) {
      this._banner = bannerFor(error);
    }
    this._changed.emit();
  }

  private _onEvent(_: EventsConnection, change: ISessionEvent): void {
    this._pushes += 1;
    this._invalidate();
    if (change.event === 'error') {
      this._sessionsError = change.error ?? { error: 'error', reason: '' };
      this._changed.emit();
      return;
    }
    // tmux answered again: the sessions not pushed since may have changed too.
    let stale = this._sessionsError !== null;
    this._sessionsError = null;
    if (change.event === 'snapshot') {
      const before = this._sessions;
      this._sessions = new Map(change.sessions.map(s => [s.id, s]));
      // A snapshot lists live sessions only: stopped tasks keep what they used.
      for (const [id, session] of before) {
        if (session.state === 'stopped' && !this._sessions.has(id)) {
          this._sessions.set(id, session);
        }
      }
      // The events route answered, so the extension is there: after a server
      // restart the task files may have changed too.
      stale = stale || this._seenSnapshot || this._banner !== null;
      if (this._seenSnapshot) {
        void this.refreshConflicts(); // reconnected: changes may have been missed
      }
      this._seenSnapshot = true;
    } else {
      for (const session of change.sessions) {
        this._sessions.set(session.id, session);
      }
    }
    if (stale) {
      void this.refresh();
    }
    this._changed.emit();
  }

  private _setConflicts(report: IConflictsReply): void {
    if (this._conflicts && report.checked_at < this._conflicts.checked_at) {
      return; // a reply older than a push received meanwhile
    }
    this._conflicts = report;
    this._changed.emit();
  }

  private _setBanner(banner: IBanner | null): void {
    this._banner = banner;
    this._changed.emit();
  }

  /** Rows are made again on the next read. */
  private _invalidate(): void {
    this._rows = null;
    this._rowById = null;
  }

  private _changed = new Signal<this, void>(this);
  private _rows: IRow[] | null = null;
  private _rowById: Map<string, IRow> | null = null;
  private _rankedRows: IRow[] | null = null;
  private _rankedIds: string[] = [];
  private _ranks: ReadonlyMap<string, number> = new Map();
  private _taskById = new Map<string, ITask>();
  private _board: IBoard | null = null;
  private _tasks: ITask[] = [];
  private _problems: ITaskProblem[] = [];
  private _sessions = new Map<string, ISession>();
  private _banner: IBanner | null = null;
  private _sessionsError: ISessionsError | null = null;
  private _loaded = false;
  private _pushes = 0;
  private _seenSnapshot = false;
  private _refreshing: Promise<void> | null = null;
  private _conflicts: IConflictsReply | null = null;
  private _refreshAgain = false;
  private _disposed = false;
}

/**
 * Stopped tasks' sessions from a task list reply (they carry what earlier runs
 * used), for the tasks no push has told about: a push is newer for the others.
 */
export function keepStopped(sessions: Map<string, ISession>, tasks: readonly ITask[]): void {
  for (const task of tasks) {
    if (task.session?.state === 'stopped' && !sessions.has(task.id)) {
      sessions.set(task.id, task.session);
    }
  }
}

/** The banner an error calls for. */
export function bannerFor(error: unknown): IBanner {
  if (error instanceof ClaudeAPIError) {
    if (error.isTmuxMissing) {
      return tmuxMissing(error.reason);
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

/** The banner for session states that can't be read, or null when they can. */
export function sessionsBanner(error: ISessionsError | null): IBanner | null {
  if (error === null) {
    return null;
  }
  if (error.error === TMUX_NOT_FOUND) {
    return tmuxMissing(error.reason);
  }
  return {
    kind: 'no-sessions',
    title: 'Session states unknown',
    message: error.reason || 'tmux did not answer.'
  };
}

function tmuxMissing(reason: string): IBanner {
  return {
    kind: 'no-tmux',
    title: 'tmux is missing',
    message: reason || 'tmux is not installed where the Jupyter server runs.'
  };
}

/** A contents path without drive prefix or leading "./" or "/". */
function normalizePath(path: string): string {
  const local = path.includes(':') ? path.slice(path.indexOf(':') + 1) : path;
  return PathExt.normalize(local).replace(/^\/+/, '');
}
