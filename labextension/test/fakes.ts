/**
 * Test doubles: sessions and task rows as the server sends them, and a
 * ClaudeAPI whose task list replies and events socket the test drives.
 */
import type { ClaudeAPI, IConflictsReply, ISession, ITask, ITasksReply } from '../src/api';

/** A session as `Session.to_json()` sends it (a running one unless overridden). */
export function session(id: string, overrides: Partial<ISession> = {}): ISession {
  return {
    id,
    name: `claude-${id}`,
    running: true,
    state: 'running',
    exit_status: null,
    attached_clients: 0,
    started_at: '2024-05-01T10:00:00+00:00',
    command: ['claude'],
    cwd: '/work',
    pid: 1234,
    agent: null,
    branch: null,
    worktree: null,
    ahead: null,
    cols: 80,
    rows: 24,
    log: 'ok',
    ...overrides
  };
}

/** A stopped session, as the tasks reply gives every valid task that has none. */
export function stopped(id: string): ISession {
  return session(id, {
    running: false,
    state: 'stopped',
    started_at: null,
    command: null,
    cwd: null,
    pid: null,
    cols: null,
    rows: null,
    log: null
  });
}

/** A row of GET claude/tasks for a task file `tasks/ID.md` (with a stopped session). */
export function task(id: string, overrides: Partial<ITask> = {}): ITask {
  return {
    id,
    title: `Task ${id}`,
    status: '🟡 To Do',
    priority: null,
    path: `tasks/${id}.md`,
    metadata: {},
    valid: true,
    invalid_reason: null,
    version: 'v1',
    session: stopped(id),
    ...overrides
  };
}

/** A fake events websocket: the test calls `push` to deliver a message. */
export class FakeSocket {
  onopen: (() => void) | null = null;
  onmessage: ((message: { data: unknown }) => void) | null = null;
  onclose: (() => void) | null = null;
  binaryType = 'arraybuffer';

  close(): void {
    this.onopen = this.onmessage = this.onclose = null;
  }

  /** Deliver one JSON text frame. */
  push(data: unknown): void {
    this.onmessage?.({ data: JSON.stringify(data) });
  }
}

/** A ClaudeAPI whose `listTasks` replies wait until the test resolves them. */
export class FakeAPI {
  readonly socket = new FakeSocket();
  private replies: ((reply: ITasksReply | Error) => void)[] = [];

  /** How many task list requests are waiting for a reply. */
  get pending(): number {
    return this.replies.length;
  }

  /** The options of the last task list request. */
  lastOptions: unknown = undefined;

  listTasks(options?: unknown): Promise<ITasksReply> {
    this.lastOptions = options;
    return new Promise((resolve, reject) => {
      this.replies.push(reply => (reply instanceof Error ? reject(reply) : resolve(reply)));
    });
  }

  /** The reply of GET claude/conflicts (none until the test sets one). */
  conflictsReply: IConflictsReply = { conflicts: [], checked_at: '', base: null };

  conflicts(): Promise<IConflictsReply> {
    return Promise.resolve(this.conflictsReply);
  }

  openSocket(): FakeSocket {
    return this.socket;
  }

  /** Answer the oldest waiting request. */
  reply(reply: ITasksReply | Error): void {
    const answer = this.replies.shift();
    if (!answer) {
      throw new Error('no task list request is waiting');
    }
    answer(reply);
  }

  /** This fake where the model wants a ClaudeAPI. */
  asAPI(): ClaudeAPI {
    return this as unknown as ClaudeAPI;
  }
}

/** Let pending promise callbacks run. */
export function settle(): Promise<void> {
  return new Promise(resolve => setTimeout(resolve, 0));
}
