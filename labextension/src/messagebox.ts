/**
 * The message box under a task's log view: type a message, Send (or Enter;
 * Shift+Enter for a new line) types it into the agent's pane followed by
 * Enter (POST claude/{id}/input). Errors show inline: input turned off on
 * this server (403), no session (404, the server's reason), the server
 * unreachable.
 */
import { ClaudeAPI, ClaudeAPIError } from './api';

/** What the box says when sending failed. */
export function sendFailure(error: unknown): string {
  if (error instanceof ClaudeAPIError) {
    return error.status === 403 ? 'input is turned off on this server' : error.reason;
  }
  return String((error as Error)?.message ?? error);
}

/** The box: a text area, a Send button and an inline error line. */
export class MessageBox {
  constructor(
    private readonly api: ClaudeAPI,
    readonly taskId: string
  ) {
    const node = document.createElement('form');
    node.className = 'jp-ClaudeMessage';
    node.setAttribute('aria-label', `Message to the agent of task ${taskId}`);
    this.node = node;

    this._text = document.createElement('textarea');
    this._text.className = 'jp-ClaudeMessage-text';
    this._text.rows = 1;
    this._text.placeholder = 'Message to the agent (Enter sends, Shift+Enter for a new line)';
    this._text.setAttribute('aria-label', 'Message to the agent');
    this._text.addEventListener('keydown', event => {
      if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        void this.send();
      }
    });
    this._text.addEventListener('input', () => this._showError(''));

    this._button = document.createElement('button');
    this._button.type = 'submit';
    this._button.className = 'jp-ClaudeMessage-send';
    this._button.textContent = 'Send';

    this._error = document.createElement('div');
    this._error.className = 'jp-ClaudeMessage-error';
    this._error.setAttribute('role', 'alert');

    node.addEventListener('submit', event => {
      event.preventDefault();
      void this.send();
    });
    const row = document.createElement('div');
    row.className = 'jp-ClaudeMessage-row';
    row.append(this._text, this._button);
    node.append(row, this._error);
    this._showError('');
  }

  /** The box's element. */
  readonly node: HTMLFormElement;

  /** Send what is typed; the box empties once the server took it. */
  async send(): Promise<void> {
    const text = this._text.value;
    if (this._busy || !text.trim()) {
      return;
    }
    this._busy = true;
    this._button.disabled = true;
    this.node.dataset.sending = 'true';
    try {
      await this.api.sendInput(this.taskId, text);
      this._text.value = '';
      this._showError('');
      this.node.dataset.sent = String(Number(this.node.dataset.sent ?? '0') + 1);
    } catch (error) {
      this._showError(sendFailure(error));
    } finally {
      this._busy = false;
      this._button.disabled = false;
      delete this.node.dataset.sending;
    }
  }

  /** Hide the error line (what it said no longer holds). */
  clearError(): void {
    this._showError('');
  }

  /** Put the cursor in the text area. */
  focus(): void {
    this._text.focus();
  }

  private _showError(text: string): void {
    this._error.textContent = text;
    this._error.hidden = text === '';
  }

  private _text: HTMLTextAreaElement;
  private _button: HTMLButtonElement;
  private _error: HTMLDivElement;
  private _busy = false;
}
