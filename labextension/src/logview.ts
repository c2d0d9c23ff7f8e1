/**
 * The log view: a read-only xterm.js terminal in a main area tab, fed by the
 * `claude/{id}/stream` websocket (binary frames are terminal bytes, text
 * frames JSON control messages). It follows the tab's size, but never gets
 * narrower or shorter than the pane (the stream says how big it is): a
 * full-screen program's wraps and cursor moves land where tmux put them, and
 * the tab scrolls instead. It reconnects with backoff if the server goes away,
 * and picks up again when the task's session is started anew. Above it, the
 * approval card of the task's pending permission request; below it, a box to
 * send the agent a message.
 */
import { MainAreaWidget, ToolbarButton } from '@jupyterlab/apputils';
import { refreshIcon } from '@jupyterlab/ui-components';
import { Message } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';
import { FitAddon } from '@xterm/addon-fit';
import { ITheme, Terminal } from '@xterm/xterm';

import { ISession } from './api';
import { pendingOf } from './approval';
import { ApprovalCard } from './approvalcard';
import { badgeFor } from './badges';
import { EventsConnection, ISessionEvent } from './events';
import { logWidgetId } from './ids';
import { MessageBox } from './messagebox';
import { ClaudeModel } from './model';
import { claudeIcon } from './sidebar';

/** What the status line says about the stream. */
export type StreamStatus = 'connecting' | 'live' | 'ended' | 'disconnected';

const FIRST_DELAY = 1000;
const MAX_DELAY = 30000;

/** The content of a log tab. */
export class ClaudeLogView extends Widget {
  constructor(
    readonly taskId: string,
    private readonly model: ClaudeModel,
    scrollback = 10000
  ) {
    super();
    this.addClass('jp-ClaudeLog-content');

    this._terminalNode = document.createElement('div');
    this._terminalNode.className = 'jp-ClaudeLog-terminal';
    this._status = document.createElement('div');
    this._status.className = 'jp-ClaudeLog-status';
    this._status.setAttribute('role', 'status');
    this._approval = document.createElement('div');
    this._approval.className = 'jp-ClaudeLog-approval';
    this._message = new MessageBox(model.api, taskId);
    this.node.append(this._approval, this._terminalNode, this._message.node, this._status);

    this._term = new Terminal({
      disableStdin: true,
      cursorBlink: false,
      scrollback,
      ...fontOptions(),
      theme: terminalTheme()
    });
    this._fit = new FitAddon();
    this._term.loadAddon(this._fit);

    model.events.changed.connect(this._onSessionEvent, this);
    model.changed.connect(this._renderApproval, this);
    this._renderApproval();
    // The card (shown, expanded, gone) takes room from the terminal: refit, and show the
    // bottom of a pane taller than what is left, where the agent's dialog is.
    this._approvalSize = new ResizeObserver(() => {
      this._scheduleFit();
      if (this._card) {
        requestAnimationFrame(() => {
          this._terminalNode.scrollTop = this._terminalNode.scrollHeight;
        });
      }
    });
    this._approvalSize.observe(this._approval);
  }

  /** The stream's state, as shown in the status line. */
  get status(): StreamStatus {
    return this._state;
  }

  /** Close any stream and open a fresh one (the screen is redrawn from the server). */
  reconnect(): void {
    this._delay = FIRST_DELAY;
    this._connect();
  }

  /** Re-read colours and fonts from JupyterLab's CSS variables (theme change). */
  updateTheme(): void {
    this._term.options.theme = terminalTheme();
    Object.assign(this._term.options, fontOptions());
    this._scheduleFit();
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._closing = true;
    window.clearTimeout(this._timer);
    this._closeSocket();
    this.model.events.changed.disconnect(this._onSessionEvent, this);
    this.model.changed.disconnect(this._renderApproval, this);
    this._approvalSize.disconnect();
    this._card?.dispose();
    this._term.dispose();
    super.dispose();
  }

  protected onAfterAttach(msg: Message): void {
    super.onAfterAttach(msg);
    if (!this._opened) {
      this._term.open(this._terminalNode);
      this._opened = true;
      this._connect();
    }
    this._scheduleFit();
  }

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    this._scheduleFit();
  }

  protected onResize(msg: Widget.ResizeMessage): void {
    super.onResize(msg);
    this._scheduleFit();
  }

  protected onActivateRequest(msg: Message): void {
    super.onActivateRequest(msg);
    this._term.focus();
  }

  /**
   * On the next frame (sizes settle after layout): as many columns and rows as
   * the tab holds, and at least the pane's.
   */
  private _scheduleFit(): void {
    if (this._fitFrame) {
      return;
    }
    this._fitFrame = requestAnimationFrame(() => {
      this._fitFrame = 0;
      if (!this._opened || this.isDisposed || !this.isVisible) {
        return;
      }
      const { offsetWidth, offsetHeight } = this._terminalNode;
      const tab = offsetWidth > 0 && offsetHeight > 0 ? this._fit.proposeDimensions() : undefined;
      if (!tab || !Number.isFinite(tab.cols) || !Number.isFinite(tab.rows)) {
        return;
      }
      const pane = this._paneSize ?? { cols: 0, rows: 0 };
      const cols = Math.max(tab.cols, pane.cols);
      const rows = Math.max(tab.rows, pane.rows);
      this._terminalNode.classList.toggle('jp-mod-overflow', cols > tab.cols || rows > tab.rows);
      if (cols !== this._term.cols || rows !== this._term.rows) {
        this._term.resize(cols, rows);
      }
      this._terminalNode.dataset.cols = String(cols);
      this._terminalNode.dataset.rows = String(rows);
    });
  }

  private _connect(): void {
    if (this._closing) {
      return;
    }
    window.clearTimeout(this._timer);
    this._closeSocket();
    this._ended = false;
    this._setStatus('connecting', 'connecting…');

    let socket: WebSocket;
    try {
      socket = this.model.api.openSocket([this.taskId, 'stream']);
    } catch (error) {
      this._setStatus('disconnected', `cannot connect: ${(error as Error).message}`);
      return;
    }
    this._socket = socket;
    let first = true;
    socket.onopen = () => {
      this._delay = FIRST_DELAY;
      this._setStatus('live', 'live (read-only)');
    };
    socket.onmessage = (message: MessageEvent) => {
      if (typeof message.data === 'string') {
        this._onControl(message.data);
        return;
      }
      if (first) {
        // The first frame is the whole screen: start from a clean terminal.
        this._term.reset();
        first = false;
      }
      this._term.write(new Uint8Array(message.data as ArrayBuffer));
    };
    socket.onclose = (event: CloseEvent) => {
      if (this._socket !== socket) {
        return;
      }
      this._socket = null;
      if (this._ended || this._closing) {
        return;
      }
      this._scheduleReconnect(event);
    };
  }

  private _onControl(text: string): void {
    let data: any;
    try {
      data = JSON.parse(text);
    } catch {
      console.warn('jupyter-claude: ignoring a malformed control frame', text);
      return;
    }
    if (data?.type === 'size') {
      const { cols, rows } = data;
      if (Number.isInteger(cols) && Number.isInteger(rows) && cols > 0 && rows > 0) {
        this._setPaneSize(cols, rows);
      }
      return;
    }
    if (data?.type === 'exit') {
      this._ended = true;
      const message = endedMessage(data.session ?? null);
      this._term.write(`\x1b[0m\r\n\x1b[2m[${message}]\x1b[0m\r\n`);
      this._setStatus('ended', message);
      if (data.session) {
        this.model.updateSession(data.session);
      }
    }
  }

  /** The approval card of the task's pending request, or none; the terminal gets what is left. */
  private _renderApproval(): void {
    const pending = pendingOf(this.model.session(this.taskId));
    if (pending?.request === this._card?.request) {
      return;
    }
    this._card?.dispose();
    this._card = pending ? new ApprovalCard(this.model.api, this.taskId, pending) : null;
    if (this._card) {
      this._approval.append(this._card.node);
    }
    this._approval.hidden = this._card === null;
    this._scheduleFit();
  }

  /** The pane's size changed: the view must hold it. */
  private _setPaneSize(cols: number, rows: number): void {
    this._paneSize = { cols, rows };
    this._terminalNode.dataset.paneCols = String(cols);
    this._terminalNode.dataset.paneRows = String(rows);
    this._scheduleFit();
  }

  private _scheduleReconnect(event: CloseEvent): void {
    const wait = Math.round(this._delay / 1000);
    const banner = this.model.banner;
    const why =
      banner && banner.kind !== 'error'
        ? banner.title
        : `disconnected${event.code && event.code !== 1006 ? ` (code ${event.code})` : ''}`;
    this._setStatus('disconnected', `${why} — retrying in ${wait} s`);
    this._timer = window.setTimeout(() => this._connect(), this._delay);
    this._delay = Math.min(this._delay * 2, MAX_DELAY);
  }

  /** A new run of the task's session: follow it. */
  private _onSessionEvent(_: EventsConnection, change: ISessionEvent): void {
    if (change.event !== 'started' || !change.sessions.some(session => session.id === this.taskId)) {
      return;
    }
    this._message.clearError(); // e.g. "no session", about the run before
    if (this._ended) {
      this.reconnect();
    }
  }

  private _closeSocket(): void {
    const socket = this._socket;
    this._socket = null;
    if (socket) {
      socket.onopen = socket.onmessage = socket.onclose = null;
      socket.close();
    }
  }

  private _setStatus(state: StreamStatus, text: string): void {
    this._state = state;
    this._status.dataset.status = state;
    this._status.textContent = `${this.taskId}: ${text}`;
  }

  private _term: Terminal;
  private _approval: HTMLDivElement;
  private _card: ApprovalCard | null = null;
  private _approvalSize: ResizeObserver;
  private _message: MessageBox;
  private _fit: FitAddon;
  private _terminalNode: HTMLDivElement;
  private _status: HTMLDivElement;
  private _socket: WebSocket | null = null;
  private _state: StreamStatus = 'connecting';
  private _opened = false;
  private _ended = false;
  private _closing = false;
  private _timer = 0;
  private _delay = FIRST_DELAY;
  private _fitFrame = 0;
  private _paneSize: { cols: number; rows: number } | null = null;
}

/** The main area tab around a log view, with id `jp-claude-log-ID`. */
export function createLogWidget(
  id: string,
  model: ClaudeModel,
  scrollback: number
): MainAreaWidget<ClaudeLogView> {
  const content = new ClaudeLogView(id, model, scrollback);
  const widget = new MainAreaWidget({ content });
  widget.id = logWidgetId(id);
  widget.addClass('jp-ClaudeLog');
  widget.title.label = `Claude: ${id}`;
  widget.title.caption = `Live log of the Claude session of task ${id}`;
  widget.title.icon = claudeIcon;
  widget.title.closable = true;
  widget.toolbar.addItem(
    'reconnect',
    new ToolbarButton({
      icon: refreshIcon,
      tooltip: 'Reconnect and redraw the screen',
      onClick: () => content.reconnect()
    })
  );
  return widget;
}

/** "session ended: exited (3)", "session ended: stopped", in the vocabulary's words. */
function endedMessage(session: ISession | null): string {
  return session ? `session ended: ${badgeFor(session).label}` : 'session ended';
}

/** The value of a JupyterLab CSS variable on the body. */
function cssVar(name: string, fallback: string): string {
  return getComputedStyle(document.body).getPropertyValue(name).trim() || fallback;
}

/** Terminal colours from the current JupyterLab theme (ANSI colours stay xterm's). */
function terminalTheme(): ITheme {
  const light = document.body.dataset.jpThemeLight !== 'false';
  return {
    background: cssVar('--jp-layout-color0', light ? '#ffffff' : '#111111'),
    foreground: cssVar('--jp-ui-font-color0', light ? '#000000' : '#ffffff'),
    cursor: cssVar('--jp-ui-font-color1', light ? '#616161' : '#f0f0f0'),
    selectionBackground: light ? 'rgba(97, 97, 97, 0.3)' : 'rgba(255, 255, 255, 0.3)'
  };
}

function fontOptions(): { fontFamily: string; fontSize: number } {
  const size = parseFloat(cssVar('--jp-code-font-size', '13px'));
  return {
    fontFamily: cssVar('--jp-code-font-family', 'monospace'),
    fontSize: Number.isFinite(size) && size > 0 ? size : 13
  };
}
