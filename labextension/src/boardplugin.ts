/**
 * The task board's wiring: its commands ("Claude: Open task board", "New
 * task…", "Move task…", "Open task…"), the board tab, the task view tabs
 * (one per task, reopening focuses it), the launcher card, the palette
 * entries and layout restoration. The plugin in index.ts calls
 * addTaskBoard with the shared model.
 */
import { ILabShell, ILayoutRestorer, JupyterFrontEnd } from '@jupyterlab/application';
import {
  ICommandPalette,
  InputDialog,
  MainAreaWidget,
  Notification,
  WidgetTracker
} from '@jupyterlab/apputils';
import { ILauncher } from '@jupyterlab/launcher';
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';

import { checkTaskId, ClaudeAPIError } from './api';
import { ClaudeBoard } from './boardview';
import { BOARD_ID, CommandIDs, TASK_TRACKER_NAMESPACE } from './ids';
import { ClaudeModel } from './model';
import { askNewTask } from './newtask';
import { boardIcon } from './sidebar';
import { ClaudeTaskView, createTaskWidget } from './taskview';

/** What the board needs from the application. */
export interface ITaskBoardOptions {
  palette: ICommandPalette | null;
  launcher: ILauncher | null;
  restorer: ILayoutRestorer | null;
  rendermime: IRenderMimeRegistry | null;
  labShell: ILabShell | null;
  /** Lines of scrollback of the task views' logs. */
  scrollback: () => number;
}

/** The handle on the board for the plugin (theme changes reach the task views' logs). */
export interface ITaskBoard {
  updateTheme(): void;
}

/** Register the board's commands and views. */
export function addTaskBoard(app: JupyterFrontEnd, model: ClaudeModel, options: ITaskBoardOptions): ITaskBoard {
  const { commands, shell } = app;
  const area = options.labShell ? 'main' : 'right';
  const boards = new WidgetTracker<MainAreaWidget<ClaudeBoard>>({ namespace: 'jupyter-claude-board' });
  const tasks = new WidgetTracker<MainAreaWidget<ClaudeTaskView>>({ namespace: TASK_TRACKER_NAMESPACE });

  const openBoard = (): MainAreaWidget<ClaudeBoard> => {
    let widget = boards.currentWidget;
    if (!widget || widget.isDisposed) {
      widget = new MainAreaWidget({ content: new ClaudeBoard(model, commands) });
      widget.id = BOARD_ID;
      widget.addClass('jp-ClaudeBoardWidget');
      widget.title.label = 'Task board';
      widget.title.caption = 'The task files by status: move, open and create tasks';
      widget.title.icon = boardIcon;
      widget.title.closable = true;
      void boards.add(widget);
      shell.add(widget, area);
    }
    shell.activateById(widget.id);
    return widget;
  };

  const openTask = (id: string): MainAreaWidget<ClaudeTaskView> => {
    let widget = tasks.find(found => found.content.taskId === id);
    if (!widget) {
      widget = createTaskWidget(id, model, commands, options.rendermime, options.scrollback());
      void tasks.add(widget);
      shell.add(widget, area);
    }
    shell.activateById(widget.id);
    return widget;
  };

  commands.addCommand(CommandIDs.openBoard, {
    label: 'Claude: Open task board',
    caption: 'The task files as a board: one column per status',
    icon: boardIcon, // the launcher passes no flag of its own: the card and the palette both show it
    execute: () => {
      openBoard();
    }
  });

  commands.addCommand(CommandIDs.newTask, {
    label: 'Claude: New task…',
    caption: 'Write a new task file (title, status, priority, body)',
    execute: async args => {
      await model.loadBoard();
      const wanted = await askNewTask(model.board.columns, typeof args.status === 'string' ? args.status : undefined);
      if (!wanted) {
        return undefined;
      }
      if (!wanted.title) {
        Notification.warning('A new task needs a title.', { autoClose: 6000 });
        return undefined;
      }
      try {
        const task = await model.createTask(wanted);
        Notification.success(`Task ${task.id} created in ${task.path}.`, { autoClose: 5000 });
        boards.currentWidget?.content.focusCard(task.id);
        return task;
      } catch (error) {
        return failed(model, 'Cannot create the task', error);
      }
    }
  });

  commands.addCommand(CommandIDs.moveTask, {
    label: args => (typeof args.status === 'string' && args.id ? args.status : 'Claude: Move task…'),
    caption: "Set a task's status (its file's front matter)",
    execute: async args => {
      const id = typeof args.id === 'string' ? args.id : await ask('Move task', 'Task id');
      const status = typeof args.status === 'string' ? args.status : id ? await askColumn(model) : null;
      if (!id || !status) {
        return undefined;
      }
      try {
        return await model.moveTask(checkTaskId(id), status);
      } catch (error) {
        if (error instanceof ClaudeAPIError && error.isConflict) {
          Notification.warning(
            `${id} changed on disk since it was read: it is shown as it is now; move it again if you still want to.`,
            { autoClose: 8000 }
          );
          return undefined;
        }
        return failed(model, `Cannot move ${id}`, error);
      }
    }
  });

  commands.addCommand(CommandIDs.openTask, {
    label: args => (args.id ? `Open task ${args.id}` : 'Claude: Open task…'),
    caption: "A task's file, session and live log",
    execute: async args => {
      const id = typeof args.id === 'string' ? args.id : await ask('Open task', 'Task id');
      if (id) {
        try {
          openTask(checkTaskId(id));
        } catch (error) {
          failed(model, `Cannot open ${id}`, error);
        }
      }
    }
  });

  options.launcher?.add({ command: CommandIDs.openBoard, category: 'Other', rank: 1 });
  for (const command of [CommandIDs.openBoard, CommandIDs.newTask, CommandIDs.openTask, CommandIDs.moveTask]) {
    options.palette?.addItem({ command, category: 'Claude' });
  }
  if (options.restorer) {
    void options.restorer.restore(boards, { command: CommandIDs.openBoard, name: () => 'board' });
    void options.restorer.restore(tasks, {
      command: CommandIDs.openTask,
      args: widget => ({ id: widget.content.taskId }),
      name: widget => widget.content.taskId
    });
  }
  return {
    updateTheme: () => tasks.forEach(widget => widget.content.updateTheme())
  };
}

async function ask(title: string, label: string): Promise<string | null> {
  const result = await InputDialog.getText({ title, label, placeholder: 'e.g. 42', okLabel: 'OK' });
  return result.button.accept && result.value?.trim() ? result.value.trim() : null;
}

async function askColumn(model: ClaudeModel): Promise<string | null> {
  await model.loadBoard();
  const result = await InputDialog.getItem({ title: 'Move to', items: model.board.columns, okLabel: 'Move' });
  return result.button.accept ? result.value : null;
}

function failed(model: ClaudeModel, what: string, error: unknown): undefined {
  model.noteError(error);
  const reason = error instanceof ClaudeAPIError ? error.reason : String((error as Error)?.message ?? error);
  Notification.error(`${what}: ${reason}`, { autoClose: 10000 });
  return undefined;
}
