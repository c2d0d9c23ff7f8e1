/**
 * Task files in the document area and the file browser: a toolbar button
 * (with the session's badge) on markdown task files to start or stop their
 * session, and the file browser's "Start Claude session" entry. Which task a
 * file is comes from ./taskfile.
 */
import { JupyterFrontEnd } from '@jupyterlab/application';
import { Notification } from '@jupyterlab/apputils';
import { DocumentRegistry, IDocumentWidget } from '@jupyterlab/docregistry';
import { IFileBrowserFactory } from '@jupyterlab/filebrowser';
import { CommandRegistry } from '@lumino/commands';
import { IDisposable } from '@lumino/disposable';
import { Widget } from '@lumino/widgets';

import { isLive } from './badges';
import { CommandIDs } from './ids';
import { ClaudeModel } from './model';
import { taskIdForFile, taskIdForText } from './taskfile';

/** Widget factories whose documents get the button. */
const FACTORIES = ['Editor', 'Markdown Preview'];

/** The toolbar item: the session badge and a Start/Stop button. */
class TaskSessionButton extends Widget {
  constructor(
    private readonly model: ClaudeModel,
    private readonly commands: CommandRegistry,
    private readonly context: DocumentRegistry.Context
  ) {
    super();
    this.addClass('jp-ClaudeTaskButton');
    this._badge = document.createElement('span');
    this._badge.className = 'jp-ClaudeTaskButton-badge';
    this._button = document.createElement('button');
    this._button.className = 'jp-ClaudeTaskButton-button';
    this._button.onclick = () => void this._toggle();
    this.node.append(this._badge, this._button);
    this.hide();

    model.changed.connect(this._update, this);
    context.pathChanged.connect(this._update, this);
    context.model.contentChanged.connect(this._update, this);
    void context.ready.then(() => this._update());
  }

  private _update(): void {
    if (this.isDisposed || !this.context.isReady) {
      return;
    }
    // Only the head of the file can hold front matter.
    const head = this.context.model.toString().slice(0, 4096);
    const id = taskIdForText(this.model, this.context.path, head);
    this._id = id;
    this.setHidden(id === null);
    if (id === null) {
      return;
    }
    const badge = this.model.badge(id);
    const live = isLive(this.model.session(id));
    this.node.dataset.taskId = id;
    this._badge.dataset.state = badge.state;
    this._badge.textContent = badge.text;
    this._badge.title = `Claude session of task ${id}: ${badge.label}`;
    this._button.dataset.action = live ? 'stop' : 'run';
    this._button.textContent = live ? 'Stop session' : 'Start session';
    this._button.title = `${live ? 'Stop' : 'Start'} the Claude session of task ${id}`;
    this._button.disabled = this._busy;
  }

  private async _toggle(): Promise<void> {
    const id = this._id;
    if (!id || this._busy) {
      return;
    }
    const command = isLive(this.model.session(id)) ? CommandIDs.stop : CommandIDs.start;
    this._busy = true;
    this._update();
    try {
      await this.commands.execute(command, { id });
    } finally {
      this._busy = false;
      this._update();
    }
  }

  private _badge: HTMLSpanElement;
  private _button: HTMLButtonElement;
  private _id: string | null = null;
  private _busy = false;
}

/** Adds the button to markdown documents. */
class TaskToolbarExtension implements DocumentRegistry.WidgetExtension {
  constructor(
    private readonly model: ClaudeModel,
    private readonly commands: CommandRegistry
  ) {}

  createNew(widget: Widget, context: DocumentRegistry.Context): IDisposable | void {
    const toolbar = (widget as IDocumentWidget).toolbar;
    if (!toolbar || !context.path.toLowerCase().endsWith('.md')) {
      return;
    }
    const item = new TaskSessionButton(this.model, this.commands, context);
    toolbar.insertItem(10, 'claudeSession', item);
    return item;
  }
}

/** Register the toolbar button and, with a file browser, the context menu entry. */
export function addTaskFileSupport(
  app: JupyterFrontEnd,
  model: ClaudeModel,
  fileBrowserFactory: IFileBrowserFactory | null
): void {
  const extension = new TaskToolbarExtension(model, app.commands);
  for (const factory of FACTORIES) {
    app.docRegistry.addWidgetExtension(factory, extension);
  }
  if (!fileBrowserFactory) {
    return;
  }
  app.commands.addCommand(CommandIDs.startFromFile, {
    label: 'Start Claude session',
    caption: 'Start the Claude session of this task file',
    isVisible: () => selectedMarkdown(fileBrowserFactory) !== null,
    execute: async () => {
      const path = selectedMarkdown(fileBrowserFactory);
      if (!path) {
        return;
      }
      const id = await taskIdForFile(app.serviceManager.contents, model, path);
      if (!id) {
        Notification.warning(
          `${path} names no task: give it front matter "id: …" or a name like 42.md.`,
          { autoClose: 8000 }
        );
        return;
      }
      return app.commands.execute(CommandIDs.start, { id });
    }
  });
  app.contextMenu.addItem({
    command: CommandIDs.startFromFile,
    selector: '.jp-DirListing-item[data-file-type="markdown"]',
    rank: 3
  });
}

/** The path of the single selected .md file in the current file browser. */
function selectedMarkdown(factory: IFileBrowserFactory): string | null {
  const items = [...(factory.tracker.currentWidget?.selectedItems() ?? [])];
  if (items.length !== 1 || items[0].type === 'directory') {
    return null;
  }
  return items[0].path.toLowerCase().endsWith('.md') ? items[0].path : null;
}
