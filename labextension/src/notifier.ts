/**
 * Be told: JupyterLab notifications when a task starts waiting for you (with
 * Allow / Deny / Open log for a permission request), finishes its turn, or
 * exits (with its code); and, opted in, the browser's own desktop
 * notification while the JupyterLab tab is in the background. Changes come
 * from claude/events through ./notices' per-task debounce: one notification
 * per settled change. A waiting toast closes when its request goes away.
 */
import { InputDialog, Notification } from '@jupyterlab/apputils';
import { IDisposable } from '@lumino/disposable';

import { ClaudeAPI, ISession } from './api';
import { answerFailure } from './approval';
import { EventsConnection, ISessionEvent } from './events';
import { ClaudeModel } from './model';
import { INotice, NoticeDebouncer, noticeMessage, wantsDesktop } from './notices';

/** What the notifier needs from the plugin. */
export interface INotifierOptions {
  /** Open (or focus) the log tab of a task. */
  openLog: (id: string) => void;
  /** Whether JupyterLab notifications are on (the notifications setting). */
  enabled: () => boolean;
  /** Whether desktop notifications are on (the desktopNotifications setting). */
  desktop: () => boolean;
}

/** How long a finished-turn or exit toast stays (a waiting one stays until answered). */
const AUTO_CLOSE = 10000;

/** Notifications about every task's changes. */
export class SessionNotifier implements IDisposable {
  constructor(
    private readonly model: ClaudeModel,
    private readonly options: INotifierOptions
  ) {
    this._debouncer = new NoticeDebouncer({
      notify: notice => this._notify(notice),
      settled: session => this._closeStale(session)
    });
    model.events.changed.connect(this._onEvent, this);
  }

  get isDisposed(): boolean {
    return this._disposed;
  }

  dispose(): void {
    if (this._disposed) {
      return;
    }
    this._disposed = true;
    this.model.events.changed.disconnect(this._onEvent, this);
    this._debouncer.dispose();
  }

  private _onEvent(_: EventsConnection, change: ISessionEvent): void {
    if (change.event === 'snapshot') {
      this._debouncer.snapshot(change.sessions);
    } else if (change.event !== 'error') {
      change.sessions.forEach(session => this._debouncer.update(session));
    }
  }

  private _notify(notice: INotice): void {
    if (!this.options.enabled()) {
      return;
    }
    const message = noticeMessage(notice);
    const { id } = notice;
    const openLog: Notification.IAction = {
      label: 'Open log',
      caption: `Show task ${id}'s session in a tab`,
      callback: () => this.options.openLog(id)
    };
    this._closeToast(id);
    if (notice.kind === 'waiting') {
      const pending = notice.pending;
      const actions: Notification.IAction[] = pending
        ? [
            {
              label: 'Allow',
              caption: `Allow ${pending.tool}: ${pending.summary}`,
              displayType: 'accent',
              callback: () => void answer(this.model.api, id, pending.request, 'allow')
            },
            {
              label: 'Deny',
              caption: 'Deny, with an optional reason for the agent',
              displayType: 'warn',
              callback: () => void denyWithReason(this.model.api, id, pending.request, pending.tool)
            },
            openLog
          ]
        : [openLog];
      const toast = Notification.warning(message, { autoClose: false, actions });
      this._toasts.set(id, { toast, request: pending?.request ?? null });
    } else if (notice.kind === 'limited') {
      // Like waiting: it stays until closed (the agent does nothing more until the limit resets).
      Notification.warning(message, { autoClose: false, actions: [openLog] });
    } else if (notice.kind === 'idle') {
      Notification.info(message, { autoClose: AUTO_CLOSE, actions: [openLog] });
    } else {
      const failed = (notice.session.exit_status ?? 0) !== 0;
      const options = { autoClose: AUTO_CLOSE, actions: [openLog] };
      if (failed) {
        Notification.error(message, options);
      } else {
        Notification.info(message, options);
      }
    }
    const permission = window.Notification?.permission ?? null;
    if (wantsDesktop(this.options.desktop(), document.hidden, permission)) {
      showDesktop(id, message, () => this.options.openLog(id));
    }
  }

  /** A settled session no longer waiting on the toast's request: close the toast. */
  private _closeStale(session: ISession): void {
    const shown = this._toasts.get(session.id);
    if (!shown) {
      return;
    }
    const request = session.pending?.request ?? null;
    const waiting = session.state === 'waiting' || request !== null;
    if (!waiting || (shown.request !== null && shown.request !== request)) {
      this._closeToast(session.id);
    }
  }

  private _closeToast(id: string): void {
    const shown = this._toasts.get(id);
    if (shown) {
      this._toasts.delete(id);
      Notification.dismiss(shown.toast);
    }
  }

  private _debouncer: NoticeDebouncer;
  private _toasts = new Map<string, { toast: string; request: string | null }>();
  private _disposed = false;
}

/** Answer from a toast; the outcome is a short toast of its own. */
async function answer(
  api: ClaudeAPI,
  id: string,
  request: string,
  decision: 'allow' | 'deny',
  message = ''
): Promise<void> {
  try {
    await api.answer(id, request, decision, message);
    Notification.success(`Task ${id}: ${decision === 'allow' ? 'allowed' : 'denied'}.`, {
      autoClose: 3000
    });
  } catch (error) {
    const failure = answerFailure(error);
    const text = `Task ${id}: ${failure.text}.`;
    if (failure.elsewhere) {
      Notification.info(text, { autoClose: 5000 });
    } else {
      Notification.error(text, { autoClose: 10000 });
    }
  }
}

/** Deny from a toast: ask for the optional reason first (Cancel keeps the request open). */
async function denyWithReason(api: ClaudeAPI, id: string, request: string, tool: string): Promise<void> {
  const result = await InputDialog.getText({
    title: `Deny ${tool} for task ${id}?`,
    label: 'Reason (optional, sent to the agent)',
    placeholder: 'e.g. use the test database instead',
    okLabel: 'Deny'
  });
  if (result.button.accept) {
    await answer(api, id, request, 'deny', result.value?.trim() ?? '');
  }
}

/** The browser's own notification (the permission was asked on opt-in). */
function showDesktop(id: string, message: string, open: () => void): void {
  try {
    const shown = new window.Notification('Claude Sessions', { body: message, tag: `jupyter-claude-${id}` });
    shown.onclick = () => {
      window.focus();
      open();
      shown.close();
    };
  } catch (error) {
    console.warn('jupyter-claude: cannot show a desktop notification', error);
  }
}

/**
 * The desktop notifications setting was turned on: ask the browser, once, for
 * the permission (it remembers the answer); say so when it is refused.
 */
export async function askDesktopPermission(): Promise<void> {
  const Desktop = window.Notification;
  if (!Desktop) {
    Notification.warning('This browser has no desktop notifications.', { autoClose: 8000 });
    return;
  }
  let permission = Desktop.permission;
  if (permission === 'default') {
    permission = await Desktop.requestPermission();
  }
  if (permission === 'denied') {
    Notification.warning(
      "The browser blocks notifications from this page: allow them in the browser's site settings.",
      { autoClose: 10000 }
    );
  }
}
