/**
 * A task's view: its front matter and rendered body (GET claude/tasks/{id}),
 * its session's live badge with Run / Stop / Attach and "Move to…", the
 * pending request, conflicts and usage where they exist, and below, the
 * session's live log (the log tab's own view, logview.ts). The body is read
 * again whenever the listing shows a new version of the file.
 */
import { MainAreaWidget } from '@jupyterlab/apputils';
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { CommandRegistry } from '@lumino/commands';
import { Message } from '@lumino/messaging';
import { Panel, SplitPanel, Widget } from '@lumino/widgets';

import { ClaudeAPIError, ITaskDetail } from './api';
import { badgeForRow, hasSession, isLive } from './badges';
import { cardMarks } from './board';
import { openMoveMenu } from './boardcard';
import { div, span } from './dom';
import { CommandIDs, taskWidgetId } from './ids';
import { ClaudeLogView } from './logview';
import { ClaudeModel } from './model';
import { claudeIcon } from './sidebar';

/** The session buttons of the view: action → command and label. */
const ACTIONS = [
  { action: 'run', command: CommandIDs.start, label: 'Run' },
  { action: 'stop', command: CommandIDs.stop, label: 'Stop' },
  { action: 'attach', command: CommandIDs.attach, label: 'Attach' }
] as const;

/** The upper part: what the task file says, and its session's controls. */
class TaskDetails extends Panel {
  constructor(
    readonly taskId: string,
    private readonly model: ClaudeModel,
    private readonly commands: CommandRegistry,
    private readonly rendermime: IRenderMimeRegistry | null
  ) {
    super();
    this.addClass('jp-ClaudeTask-details');
    this._head = new Widget();
    this._head.addClass('jp-ClaudeTask-head');
    this._body = new Widget();
    this.addWidget(this._head);
    this.addWidget(this._body);
    const head = this._head.node;
    this._heading = document.createElement('h1');
    this._heading.className = 'jp-ClaudeTask-title';
    this._line = div('jp-ClaudeTask-line');
    this._badge = span('jp-ClaudeTask-badge', '');
    this._marks = span('jp-ClaudeTask-marks', '');
    this._buttons = div('jp-ClaudeTask-actions');
    for (const spec of ACTIONS) {
      const button = document.createElement('button');
      button.className = 'jp-ClaudeTask-button jp-mod-styled';
      button.dataset.action = spec.action;
      button.textContent = spec.label;
      button.onclick = () => void this.commands.execute(spec.command, { id: taskId });
      this._buttons.append(button);
    }
    const move = document.createElement('button');
    move.className = 'jp-ClaudeTask-button jp-mod-styled';
    move.dataset.action = 'move';
    move.textContent = 'Move to…';
    move.setAttribute('aria-haspopup', 'menu');
    move.onclick = () => openMoveMenu(this.commands, this.model, taskId, move, () => move.focus());
    this._buttons.append(move);
    this._line.append(this._badge, this._marks, this._buttons);
    this._meta = document.createElement('table');
    this._meta.className = 'jp-ClaudeTask-meta';
    this._error = div('jp-ClaudeTask-error');
    this._error.hidden = true;
    head.append(this._heading, this._line, this._error, this._meta);
    model.changed.connect(this._onModel, this);
  }

  /** The task as last read. */
  get detail(): ITaskDetail | null {
    return this._detail;
  }

  /** Read the task (front matter and body) again. */
  async load(): Promise<void> {
    try {
      const detail = await this.model.api.getTask(this.taskId);
      if (this.isDisposed) {
        return;
      }
      this._detail = detail;
      this._error.hidden = true;
      await this._show(detail);
    } catch (error) {
      const gone = error instanceof ClaudeAPIError && error.status === 404;
      this._error.hidden = false;
      this._error.textContent = gone
        ? `No task file has the id ${this.taskId} any more.`
        : `Cannot read task ${this.taskId}: ${(error as Error).message}`;
    }
    this._update();
  }

  dispose(): void {
    this.model.changed.disconnect(this._onModel, this);
    super.dispose();
  }

  private async _show(detail: ITaskDetail): Promise<void> {
    this._heading.textContent = `${detail.id}: ${detail.title}`;
    this._meta.replaceChildren();
    const metadata = detail.metadata ?? {};
    for (const [key, value] of Object.entries({ path: detail.path, version: detail.version, ...metadata })) {
      const row = document.createElement('tr');
      row.dataset.key = key;
      const name = document.createElement('th');
      name.textContent = key;
      const cell = document.createElement('td');
      cell.textContent = typeof value === 'string' ? value : JSON.stringify(value);
      row.append(name, cell);
      this._meta.append(row);
    }
    const old = this._body;
    let body: Widget;
    if (this.rendermime) {
      const renderer = this.rendermime.createRenderer('text/markdown');
      await renderer.renderModel(
        this.rendermime.createModel({ data: { 'text/markdown': detail.body }, trusted: false })
      );
      body = renderer;
    } else {
      body = new Widget();
      const pre = document.createElement('pre');
      pre.textContent = detail.body;
      body.node.append(pre);
    }
    body.addClass('jp-ClaudeTask-body');
    this._body = body;
    this.insertWidget(1, body);
    old.dispose();
  }

  private _onModel(): void {
    const task = this.model.task(this.taskId);
    if (this._detail && task && task.version !== this._detail.version && !this._reloading) {
      this._reloading = true;
      void this.load().finally(() => (this._reloading = false));
    }
    this._update();
  }

  /** The badge, the marks and which buttons apply, from the model's live session. */
  private _update(): void {
    const row = this.model.row(this.taskId);
    const session = row?.session ?? null;
    const badge = badgeForRow(row ?? { valid: true, session: null, unknownReason: null });
    this._badge.textContent = badge.text;
    this._badge.dataset.state = badge.state;
    this._marks.replaceChildren(
      ...cardMarks(row, session, { conflicts: this.model.conflictsFor(this.taskId) }).map(mark => {
        const node = span(`jp-ClaudeBoard-mark jp-mod-${mark.kind}`, mark.text);
        node.title = mark.title;
        return node;
      })
    );
    const enabled: Record<string, boolean> = {
      run: !isLive(session),
      stop: hasSession(session),
      attach: isLive(session),
      move: this._detail !== null
    };
    for (const button of this._buttons.querySelectorAll<HTMLButtonElement>('button')) {
      button.disabled = !enabled[button.dataset.action ?? ''];
    }
  }

  private _head: Widget;
  private _body: Widget;
  private _heading: HTMLHeadingElement;
  private _line: HTMLElement;
  private _badge: HTMLElement;
  private _marks: HTMLElement;
  private _buttons: HTMLElement;
  private _meta: HTMLTableElement;
  private _error: HTMLElement;
  private _detail: ITaskDetail | null = null;
  private _reloading = false;
}

/** A task view: details above, the live log below. */
export class ClaudeTaskView extends SplitPanel {
  constructor(
    readonly taskId: string,
    model: ClaudeModel,
    commands: CommandRegistry,
    rendermime: IRenderMimeRegistry | null,
    scrollback: number
  ) {
    super({ orientation: 'vertical', spacing: 4 });
    this.addClass('jp-ClaudeTask');
    this.details = new TaskDetails(taskId, model, commands, rendermime);
    this.log = new ClaudeLogView(taskId, model, scrollback);
    this.log.addClass('jp-ClaudeTask-log');
    this.addWidget(this.details);
    this.addWidget(this.log);
    this.setRelativeSizes([0.55, 0.45]);
    void this.details.load();
  }

  /** The task file's part. */
  readonly details: TaskDetails;
  /** The session's live log. */
  readonly log: ClaudeLogView;

  /** Re-read colours for the log (theme change). */
  updateTheme(): void {
    this.log.updateTheme();
  }

  protected onActivateRequest(msg: Message): void {
    super.onActivateRequest(msg);
    this.details.node.querySelector<HTMLButtonElement>('button:not(:disabled)')?.focus();
  }
}

/** The main area tab around a task view, with id `jp-claude-task-ID`. */
export function createTaskWidget(
  id: string,
  model: ClaudeModel,
  commands: CommandRegistry,
  rendermime: IRenderMimeRegistry | null,
  scrollback: number
): MainAreaWidget<ClaudeTaskView> {
  const content = new ClaudeTaskView(id, model, commands, rendermime, scrollback);
  const widget = new MainAreaWidget({ content });
  widget.id = taskWidgetId(id);
  widget.addClass('jp-ClaudeTaskWidget');
  widget.title.label = `Task ${id}`;
  widget.title.caption = `Task ${id}: its file, its session and its live log`;
  widget.title.icon = claudeIcon;
  widget.title.closable = true;
  return widget;
}

