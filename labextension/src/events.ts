/**
 * The `claude/events` websocket: one connection that pushes every session
 * change (and says when tmux can't be listed), so badges flip without
 * polling. Reconnects with exponential backoff (and jitter) when the server
 * goes away.
 */
import { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';

import { ClaudeAPI, IConflictsReply, ISession, ISessionsError } from './api';

/** The connection's state, shown next to the panel title. */
export type ConnectionState = 'connecting' | 'open' | 'closed';

/** A change pushed by the server. */
export interface ISessionEvent {
  /**
   * "snapshot" for the first message, "error" when tmux can't be listed, else
   * the server's event name.
   */
  event: 'snapshot' | 'error' | 'started' | 'exited' | 'stopped' | 'attached' | 'state' | string;
  /** The sessions the message carried (all of them for a snapshot, none for an error). */
  sessions: ISession[];
  /** Why sessions can't be listed (for "error" only). */
  error?: ISessionsError;
}

/** Backoff bounds in milliseconds. */
const FIRST_DELAY = 1000;
const MAX_DELAY = 30000;

/** A self-reconnecting client of `claude/events`. */
export class EventsConnection implements IDisposable {
  constructor(private readonly api: ClaudeAPI) {}

  /** Emitted for the snapshot and for every later change. */
  get changed(): ISignal<this, ISessionEvent> {
    return this._changed;
  }

  /** Emitted when the conflicts between tasks change (the `conflicts` message). */
  get conflictsChanged(): ISignal<this, IConflictsReply> {
    return this._conflictsChanged;
  }

  /** Emitted when task files were made, moved or removed (the `tasks` message). */
  get tasksChanged(): ISignal<this, void> {
    return this._tasksChanged;
  }

  /** Emitted when the connection opens, closes or starts connecting. */
  get stateChanged(): ISignal<this, ConnectionState> {
    return this._stateChanged;
  }

  get state(): ConnectionState {
    return this._state;
  }

  get isDisposed(): boolean {
    return this._disposed;
  }

  /** Open the socket (no-op when already open or connecting). */
  connect(): void {
    if (this._disposed || this._socket) {
      return;
    }
    this._clearTimer();
    this._setState('connecting');
    let socket: WebSocket;
    try {
      socket = this.api.openSocket(['events']);
    } catch (error) {
      console.warn('jupyter-claude: cannot open claude/events', error);
      this._scheduleReconnect();
      return;
    }
    this._socket = socket;
    socket.onopen = () => {
      this._delay = FIRST_DELAY;
      this._setState('open');
    };
    socket.onmessage = (message: MessageEvent) => this._onMessage(message);
    socket.onclose = () => {
      if (this._socket === socket) {
        this._socket = null;
        this._scheduleReconnect();
      }
    };
  }

  /** Drop any pending wait and connect now (e.g. after a manual refresh). */
  reconnectNow(): void {
    if (this._socket) {
      return;
    }
    this._delay = FIRST_DELAY;
    this.connect();
  }

  dispose(): void {
    if (this._disposed) {
      return;
    }
    this._disposed = true;
    this._clearTimer();
    const socket = this._socket;
    this._socket = null;
    socket?.close();
    Signal.clearData(this);
  }

  private _onMessage(message: MessageEvent): void {
    if (typeof message.data !== 'string') {
      return;
    }
    let data: any;
    try {
      data = JSON.parse(message.data);
    } catch {
      console.warn('jupyter-claude: ignoring a malformed event', message.data);
      return;
    }
    if (data?.type === 'snapshot' && Array.isArray(data.sessions)) {
      this._changed.emit({ event: 'snapshot', sessions: data.sessions });
    } else if (data?.type === 'session' && data.session?.id) {
      this._changed.emit({ event: String(data.event), sessions: [data.session] });
    } else if (data?.type === 'conflicts' && Array.isArray(data.conflicts)) {
      this._conflictsChanged.emit(data as IConflictsReply);
    } else if (data?.type === 'tasks') {
      this._tasksChanged.emit();
    } else if (data?.type === 'error') {
      const error = { error: String(data.error ?? 'error'), reason: String(data.reason ?? '') };
      this._changed.emit({ event: 'error', sessions: [], error });
    }
  }

  private _scheduleReconnect(): void {
    this._setState('closed');
    if (this._disposed) {
      return;
    }
    // Half fixed, half random, so many tabs don't reconnect in step.
    const wait = this._delay / 2 + Math.random() * (this._delay / 2);
    this._timer = window.setTimeout(() => {
      this._timer = null;
      this.connect();
    }, wait);
    this._delay = Math.min(this._delay * 2, MAX_DELAY);
  }

  private _clearTimer(): void {
    if (this._timer !== null) {
      window.clearTimeout(this._timer);
      this._timer = null;
    }
  }

  private _setState(state: ConnectionState): void {
    if (state !== this._state) {
      this._state = state;
      this._stateChanged.emit(state);
    }
  }

  private _changed = new Signal<this, ISessionEvent>(this);
  private _stateChanged = new Signal<this, ConnectionState>(this);
  private _conflictsChanged = new Signal<this, IConflictsReply>(this);
  private _tasksChanged = new Signal<this, void>(this);
  private _state: ConnectionState = 'closed';
  private _socket: WebSocket | null = null;
  private _timer: number | null = null;
  private _delay = FIRST_DELAY;
  private _disposed = false;
}
