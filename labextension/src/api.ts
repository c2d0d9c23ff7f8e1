/**
 * The REST and WebSocket client for the jupyter-claude server extension.
 *
 * Every request goes through @jupyterlab/services' ServerConnection, which
 * adds the token or the XSRF header; nothing here knows about tmux.
 * The routes are the ones documented in docs/api.md.
 */
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

/** The URL segment every route lives under. */
const API_NAMESPACE = 'claude';

/** The error code of a server without tmux (a 503, or the tasks reply's `sessions_error`). */
export const TMUX_NOT_FOUND = 'tmux_not_found';

/** The task id gate the server applies; checked here too for a clear message. */
export const TASK_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

/**
 * The core's `Session.to_json()`, every key of it. `state` is one of the
 * vocabulary's state names (src/vocabulary.json), or a state only a newer
 * server knows.
 */
export interface ISession {
  /** The task id. */
  id: string;
  /** The tmux session name (prefix + task id). */
  name: string;
  /** Whether the session's command is alive. */
  running: boolean;
  state: string;
  /** The command's exit code once it has exited, else null. */
  exit_status: number | null;
  /** How many terminals (tmux clients) are attached. */
  attached_clients: number;
  started_at: string | null;
  command: string[] | null;
  cwd: string | null;
  pid: number | null;
  /** The agent the session runs (e.g. "claude"), when known. */
  agent: string | null;
  /** The git branch and worktree of the task, and how many commits it is ahead. */
  branch: string | null;
  worktree: string | null;
  ahead: number | null;
  /** The pane's size (null when stopped). */
  cols: number | null;
  rows: number | null;
  /**
   * The task log's health: "ok", "stalled", "gap" or "lost N bytes"; null when
   * no log is kept (a session made by hand).
   */
  log: string | null;
  /**
   * The permission request the agent waits on, in short; null when none (a
   * server older than permission requests leaves it out).
   */
  pending?: IPendingSummary | null;
  /**
   * What the task's agent conversations have used so far (null before the
   * first model turn); absent from servers that predate it.
   */
  usage?: IUsage | null;
  /** The rate or usage limit the agent is stopped by (only while "limited"). */
  limit?: ILimit | null;
  /** The session's place in the launch queue (only while "queued"). */
  queue?: IQueue | null;
}

/** A task's usage, summed over all its conversations. */
export interface IUsage {
  input_tokens: number;
  output_tokens: number;
  cache_read_tokens: number;
  cache_write_tokens: number;
  /** Model answers, each counted once. */
  turns: number;
  models: string[];
  working_seconds: number;
  /** Dollars from the server's price table; null when a model used has no price. */
  cost: number | null;
}

/** What stopped an agent: its own words, and the reset time only when it named one. */
export interface ILimit {
  reason: string;
  /** An ISO time, or null when the agent named none (never a guess). */
  resets_at: string | null;
}

/** A queued session: 1 is next to launch. */
export interface IQueue {
  position: number | null;
  /** When it was queued (ISO time). */
  since: string;
}

/** The reply of POST claude/start (several tasks, queued). */
export interface IStartManyReply {
  sessions: ISession[];
}

/** A pending permission request as every session JSON carries it. */
export interface IPendingSummary {
  /** The request's stable id: an answer names it. */
  request: string;
  /** The tool the agent wants to use ("Bash", "Write", "Edit", …). */
  tool: string;
  /** One line: the command, the file path, the URL. */
  summary: string;
  /** When the agent asked (ISO time). */
  asked_at: string;
}

/** A pending permission request in full (GET claude/{id}/permission). */
export interface IPendingRequest extends IPendingSummary {
  /** The tool's whole input, as the agent sent it. */
  input: Record<string, unknown>;
  /** Claude Code's permission suggestions (e.g. "always allow this command"). */
  suggestions: unknown[];
}

/** The answer to a permission request. */
export type Decision = 'allow' | 'deny';

/** Why session states are unknown: tmux is missing or failing. */
export interface ISessionsError {
  /** The error code, e.g. "tmux_not_found" or "tmux_error". */
  error: string;
  /** One sentence a person can act on. */
  reason: string;
}

/** A row of GET claude/tasks: a task file and its session (`path` is null for a bare session). */
export interface ITask {
  id: string;
  /** The task's title (a session without a task file has its id as title). */
  title: string;
  status: string | null;
  priority: string | null;
  path: string | null;
  /** The task file's front matter (absent in a compact listing: see IListOptions). */
  metadata?: Record<string, unknown>;
  /** False when the id fails the gate (such a task never has a session). */
  valid: boolean;
  invalid_reason: string | null;
  /** The task file's version stamp, when it has one. */
  version: string | null;
  /**
   * The session (a stopped one when none runs); null for an invalid id, or
   * when session states are unknown. Absent in a compact listing, whose
   * reply lists the sessions once instead (ITasksReply.sessions).
   */
  session?: ISession | null;
}

/** A task with its body text (GET claude/tasks/{id}). */
export interface ITaskDetail extends ITask {
  /** The markdown after the front matter. */
  body: string;
}

/** What GET claude/tasks may ask for. */
export interface IListOptions {
  /** Only these row keys (`id` always): a compact listing. */
  fields?: readonly string[];
  /** Only the tasks whose id, title, status, priority or body holds this text (any case). */
  q?: string;
}

/** The body of POST claude/tasks. */
export interface INewTask {
  title: string;
  body?: string;
  status?: string | null;
  priority?: string | null;
  /** The id; made from the title when absent. */
  id?: string | null;
}

/** The reply of GET claude/board. */
export interface IBoard {
  /** The board's columns, in order (the server's board_columns setting). */
  columns: string[];
  /** The name of the column of statuses that match none. */
  other: string;
}

/** A task file the server could not read. */
export interface ITaskProblem {
  path: string;
  reason: string;
}

/** The reply of GET claude/tasks. */
export interface ITasksReply {
  tasks: ITask[];
  problems: ITaskProblem[];
  /** Present when tmux is missing or failing: every `session` is then null. */
  sessions_error?: ISessionsError;
  /** With `fields`: the sessions tmux has, listed once instead of per row. */
  sessions?: ISession[];
}

/** The result of opening the user's own terminal on a session. */
export interface ITerminal {
  launched: boolean;
  focused: boolean;
  terminal: string | null;
  attach_command: string | null;
  reason: string | null;
}

/** The reply of POST claude/{id}/start. */
export interface IStartReply {
  started: boolean;
  session: ISession;
  terminal: ITerminal | null;
}

/** The reply of POST claude/{id}/stop. */
export interface IStopReply {
  stopped: boolean;
  session: ISession;
}

/** A file a task changed, or left uncommitted (GET claude/{id}/diff). */
export interface IFileChange {
  path: string;
  /** "added", "modified", "deleted", "renamed", "copied", "type changed" or "untracked". */
  status: string;
  /** Lines added and deleted; null for a binary file. */
  added: number | null;
  deleted: number | null;
  /** The path before a rename or copy. */
  old_path: string | null;
  binary: boolean;
}

/** A commit of a task branch. */
export interface ICommit {
  sha: string;
  subject: string;
  author: string;
  time: string;
}

/** GET claude/{id}/diff: the task branch against its base, and its uncommitted work. */
export interface IDiff {
  id: string;
  /** The base (the main checkout's branch, or `worktree_base`). */
  base: string;
  branch: string;
  worktree: string;
  merge_base: string | null;
  head: string | null;
  ahead: number;
  behind: number;
  /** Newest first. */
  commits: ICommit[];
  files: IFileChange[];
  uncommitted: IFileChange[];
  /** The unified patch of `files` (binary files named, never dumped), capped. */
  patch: string;
  truncated: boolean;
  commits_truncated: boolean;
  uncommitted_truncated: boolean;
}

/** GET claude/{id}/diff?path=…: one file at the merge base and on the task branch. */
export interface IFileVersions {
  path: string;
  old_path: string | null;
  /** null where the file does not exist (added, deleted), or when binary or too large. */
  original: string | null;
  modified: string | null;
  binary: boolean;
  too_large: boolean;
}

/** Two tasks (or a task and "BASE") whose branches would conflict, and where. */
export interface IConflict {
  tasks: [string, string];
  files: string[];
  /** True when the second side is the base. */
  base: boolean;
}

/** GET claude/conflicts, and the `conflicts` message of claude/events. */
export interface IConflictsReply {
  conflicts: IConflict[];
  checked_at: string;
  /** The branch the main checkout is on (what tasks land into). */
  base: string | null;
  base_commit?: string | null;
  tasks?: Record<string, string>;
  errors?: string[];
}

/** The body of POST claude/{id}/land. */
export interface ILandOptions {
  strategy?: 'merge' | 'squash' | 'rebase';
  cleanup?: boolean;
  commit_uncommitted?: boolean;
  message?: string;
}

/** The reply of POST claude/{id}/land. */
export interface ILandReply {
  landed: boolean;
  id: string;
  strategy: string;
  branch: string;
  target: string;
  previous: string;
  commit: string;
  commits: ICommit[];
  files: IFileChange[];
  committed_uncommitted: string | null;
  cleanup: {
    stopped: boolean;
    worktree_removed: boolean;
    branch_deleted: boolean;
    problems: string[];
  } | null;
}

/** An error reply: `{"error": code, "reason": sentence}` plus the HTTP status. */
export class ClaudeAPIError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly reason: string
  ) {
    super(reason || `${code} (HTTP ${status})`);
    this.name = 'ClaudeAPIError';
  }

  /** A 404 on a fixed route: the server extension is not installed or not enabled. */
  get isMissingExtension(): boolean {
    return this.status === 404;
  }

  /** tmux is not installed on the server. */
  get isTmuxMissing(): boolean {
    return this.status === 503 && this.code === TMUX_NOT_FOUND;
  }

  /** The task file changed since it was read (a move's if_match), or a new id is taken. */
  get isConflict(): boolean {
    return this.status === 409;
  }
}

/** Raise a clear error for an id the server would refuse anyway. */
export function checkTaskId(id: string): string {
  const trimmed = id.trim();
  if (!TASK_ID_PATTERN.test(trimmed)) {
    throw new ClaudeAPIError(
      400,
      'invalid_task_id',
      `"${id}" is not a task id: use letters, digits, "_" and "-" (at most 64, starting with a letter or digit).`
    );
  }
  return trimmed;
}

/** The REST/WebSocket client, bound to one set of server settings. */
export class ClaudeAPI {
  constructor(readonly serverSettings = ServerConnection.makeSettings()) {}

  /** GET claude/tasks: task files merged with live sessions (compact or searched with options). */
  listTasks(options: IListOptions = {}): Promise<ITasksReply> {
    const query = new URLSearchParams();
    if (options.fields) {
      query.set('fields', options.fields.join(','));
    }
    if (options.q) {
      query.set('q', options.q);
    }
    return this.request<ITasksReply>(['tasks'], 'GET', undefined, query);
  }

  /** GET claude/tasks/{id}: one task with its body and session. */
  getTask(id: string): Promise<ITaskDetail> {
    return this.request<ITaskDetail>(['tasks', checkTaskId(id)]);
  }

  /** POST claude/tasks: write a new task file; its row comes back. */
  createTask(task: INewTask): Promise<ITask> {
    return this.request<ITask>(['tasks'], 'POST', task);
  }

  /**
   * PATCH claude/tasks/{id}: set the task's status. With `ifMatch` (the
   * version the caller read) a file changed since is refused with a 409.
   */
  moveTask(id: string, status: string, ifMatch: string | null = null): Promise<ITask> {
    return this.request<ITask>(['tasks', checkTaskId(id)], 'PATCH', { status, if_match: ifMatch });
  }

  /** GET claude/board: the board's columns. */
  board(): Promise<IBoard> {
    return this.request<IBoard>(['board']);
  }

  /** GET claude/sessions: every live or remembered session. */
  async listSessions(): Promise<ISession[]> {
    const reply = await this.request<{ sessions: ISession[] }>(['sessions']);
    return reply.sessions;
  }

  /** GET claude/{id}/status. */
  status(id: string): Promise<ISession> {
    return this.request<ISession>([checkTaskId(id), 'status']);
  }

  /** POST claude/{id}/start; an empty body lets the server decide. */
  start(id: string, body: Record<string, unknown> = {}): Promise<IStartReply> {
    return this.request<IStartReply>([checkTaskId(id), 'start'], 'POST', body);
  }

  /** POST claude/start: start several tasks at once, their agents' launches spaced. */
  startMany(ids: string[]): Promise<IStartManyReply> {
    return this.request<IStartManyReply>(['start'], 'POST', { ids: ids.map(checkTaskId) });
  }

  /** POST claude/{id}/stop. */
  stop(id: string): Promise<IStopReply> {
    return this.request<IStopReply>([checkTaskId(id), 'stop'], 'POST', {});
  }

  /** POST claude/{id}/attach: open the user's own terminal on the session. */
  attach(id: string, body: Record<string, unknown> = {}): Promise<ITerminal> {
    return this.request<ITerminal>([checkTaskId(id), 'attach'], 'POST', body);
  }

  /** GET claude/{id}/permission: the task's pending request in full, or null. */
  async permission(id: string): Promise<IPendingRequest | null> {
    const reply = await this.request<{ pending: IPendingRequest | null }>([
      checkTaskId(id),
      'permission'
    ]);
    return reply.pending ?? null;
  }

  /**
   * POST claude/{id}/permission: answer a pending request. A 409 (a
   * ClaudeAPIError with status 409) says it was answered elsewhere first.
   */
  answer(id: string, request: string, decision: Decision, message = ''): Promise<{ answered: boolean }> {
    const body: Record<string, string> = { request, decision };
    if (message) {
      body.message = message;
    }
    return this.request([checkTaskId(id), 'permission'], 'POST', body);
  }

  /** POST claude/{id}/input: type a line into the agent's pane (403 when input is turned off). */
  sendInput(id: string, text: string): Promise<{ sent: boolean }> {
    return this.request([checkTaskId(id), 'input'], 'POST', { text });
  }

  /** GET claude/{id}/log as text (ANSI stripped unless raw). */
  async log(id: string, tail?: number, raw = false): Promise<string> {
    const query = new URLSearchParams({ raw: raw ? '1' : '0' });
    if (tail !== undefined) {
      query.set('tail', String(tail));
    }
    const url = this.url([checkTaskId(id), 'log']) + '?' + query.toString();
    const response = await this.fetch(url, { method: 'GET' });
    return response.text();
  }

  /** GET claude/{id}/diff: the task's commits, files, patch and uncommitted work. */
  diff(id: string): Promise<IDiff> {
    return this.request<IDiff>([checkTaskId(id), 'diff']);
  }

  /** GET claude/{id}/diff?path=…: one changed file at the merge base and on the task branch. */
  async diffFile(id: string, path: string, oldPath: string | null = null): Promise<IFileVersions> {
    const query = new URLSearchParams({ path });
    if (oldPath) {
      query.set('old_path', oldPath);
    }
    const url = this.url([checkTaskId(id), 'diff']) + '?' + query.toString();
    return (await (await this.fetch(url, { method: 'GET' })).json()) as IFileVersions;
  }

  /** GET claude/conflicts: live tasks whose branches would conflict. */
  conflicts(): Promise<IConflictsReply> {
    return this.request<IConflictsReply>(['conflicts']);
  }

  /** POST claude/{id}/land: merge the task into the main checkout's branch (409: refused). */
  land(id: string, options: ILandOptions = {}): Promise<ILandReply> {
    return this.request<ILandReply>([checkTaskId(id), 'land'], 'POST', options);
  }

  /** The URL of a websocket route, with `?token=` only when services would add it. */
  websocketUrl(path: string[]): string {
    const settings = this.serverSettings;
    let url = URLExt.join(
      settings.wsUrl,
      API_NAMESPACE,
      ...path.map(encodeURIComponent)
    );
    if (settings.appendToken && settings.token !== '') {
      url += `?token=${encodeURIComponent(settings.token)}`;
    }
    return url;
  }

  /** Open a websocket on a route (binary frames arrive as ArrayBuffer). */
  openSocket(path: string[]): WebSocket {
    const socket = new this.serverSettings.WebSocket(this.websocketUrl(path));
    socket.binaryType = 'arraybuffer';
    return socket;
  }

  private url(path: string[]): string {
    return URLExt.join(
      this.serverSettings.baseUrl,
      API_NAMESPACE,
      ...path.map(encodeURIComponent)
    );
  }

  private async request<T>(
    path: string[],
    method: 'GET' | 'POST' | 'PATCH' = 'GET',
    body?: unknown,
    query?: URLSearchParams
  ): Promise<T> {
    const init: RequestInit = { method };
    if (body !== undefined) {
      init.body = JSON.stringify(body);
      init.headers = { 'Content-Type': 'application/json' };
    }
    const search = query?.toString();
    const response = await this.fetch(this.url(path) + (search ? `?${search}` : ''), init);
    return (await response.json()) as T;
  }

  /** makeRequest, turning any non-2xx reply into a ClaudeAPIError. */
  private async fetch(url: string, init: RequestInit): Promise<Response> {
    let response: Response;
    try {
      response = await ServerConnection.makeRequest(
        url,
        init,
        this.serverSettings
      );
    } catch (error) {
      throw new ClaudeAPIError(
        0,
        'network_error',
        `Cannot reach the Jupyter server: ${(error as Error).message}`
      );
    }
    if (!response.ok) {
      throw await errorFromResponse(response);
    }
    return response;
  }
}

/** Read `{"error", "reason"}` from a failed reply; Jupyter's own 404 page has neither. */
async function errorFromResponse(response: Response): Promise<ClaudeAPIError> {
  let code = response.status === 404 ? 'not_found' : 'http_error';
  let reason = response.statusText || `HTTP ${response.status}`;
  try {
    const data = await response.json();
    if (typeof data?.error === 'string') {
      code = data.error;
    }
    if (typeof data?.reason === 'string' && data.reason) {
      reason = data.reason;
    } else if (typeof data?.message === 'string' && data.message) {
      reason = data.message;
    }
  } catch {
    // Not JSON (e.g. Jupyter's HTML 404 page): keep the status line.
  }
  return new ClaudeAPIError(response.status, code, reason);
}
