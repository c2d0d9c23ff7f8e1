/**
 * The commands: start, stop, attach (a window of the user's own terminal, or a
 * JupyterLab terminal tab when the server opens none), open log (the palette,
 * the sidebar buttons and the document toolbar all run these). Each asks for
 * the task id when none is given, and reports the outcome as a notification.
 */
import { JupyterFrontEnd } from '@jupyterlab/application';
import {
  Clipboard,
  Dialog,
  InputDialog,
  Notification,
  showDialog
} from '@jupyterlab/apputils';
import { ReadonlyPartialJSONObject } from '@lumino/coreutils';

import { checkTaskId, ClaudeAPIError, ITerminal } from './api';
import { CommandIDs } from './ids';
import { TerminalOpener } from './labterminal';
import { ClaudeModel } from './model';

/** What the commands need from the plugin. */
export interface ICommandOptions {
  model: ClaudeModel;
  /** Whether Stop asks first (the confirmStop setting). */
  confirmStop: () => boolean;
  /** Open (or focus) the log tab of a task. */
  openLog: (id: string) => void;
  /** Run an attach command in a JupyterLab terminal tab. */
  openTerminal: TerminalOpener;
}

/** Register every command on the application. */
export function addCommands(app: JupyterFrontEnd, options: ICommandOptions): void {
  const { commands } = app;
  const { model } = options;

  commands.addCommand(CommandIDs.start, {
    label: args => (args.id ? `Run Claude session ${args.id}` : 'Claude: Start session…'),
    caption: 'Start the Claude session of a task',
    execute: async args => {
      const id = await taskIdFrom(args, 'Start Claude session');
      return id ? start(model, id, options) : undefined;
    }
  });

  commands.addCommand(CommandIDs.startMany, {
    label: args =>
      Array.isArray(args.ids) ? `Run ${args.ids.length} Claude sessions` : 'Claude: Start sessions…',
    caption: "Start several tasks' Claude sessions: their agents launch one after another",
    execute: async args => {
      const ids = Array.isArray(args.ids) ? args.ids.filter((id): id is string => typeof id === 'string') : [];
      return ids.length ? startMany(model, ids) : undefined;
    }
  });

  commands.addCommand(CommandIDs.stop, {
    label: args => (args.id ? `Stop Claude session ${args.id}` : 'Claude: Stop session…'),
    caption: 'Stop the Claude session of a task',
    execute: async args => {
      const id = await taskIdFrom(args, 'Stop Claude session');
      return id ? stop(model, id, options) : undefined;
    }
  });

  commands.addCommand(CommandIDs.attach, {
    label: args => (args.id ? `Attach terminal to ${args.id}` : 'Claude: Attach terminal…'),
    caption: "Open a terminal window on a task's Claude session",
    execute: async args => {
      const id = await taskIdFrom(args, 'Attach terminal');
      return id ? attach(model, id, options) : undefined;
    }
  });

  commands.addCommand(CommandIDs.attachInLab, {
    label: args =>
      args.id ? `Attach in a JupyterLab terminal to ${args.id}` : 'Claude: Attach in JupyterLab terminal…',
    caption: "Open a JupyterLab terminal tab attached to a task's Claude session",
    execute: async args => {
      const id = await taskIdFrom(args, 'Attach in JupyterLab terminal');
      return id ? attachInLab(model, id, options) : undefined;
    }
  });

  commands.addCommand(CommandIDs.openLog, {
    label: args => (args.id ? `Open log of ${args.id}` : 'Claude: Open log…'),
    caption: "Show a task's session live in a read-only terminal tab",
    execute: async args => {
      const id = await taskIdFrom(args, 'Open Claude session log');
      if (id) {
        options.openLog(id);
      }
    }
  });

  commands.addCommand(CommandIDs.refresh, {
    label: 'Claude: Refresh sessions',
    execute: () => {
      model.events.reconnectNow();
      return model.refresh();
    }
  });
}

/** The id from the arguments, or asked for in a dialog (null if cancelled). */
export async function taskIdFrom(args: ReadonlyPartialJSONObject, title: string): Promise<string | null> {
  let id = typeof args.id === 'string' ? args.id : '';
  if (!id) {
    const result = await InputDialog.getText({
      title,
      label: 'Task id',
      placeholder: 'e.g. 42',
      okLabel: 'OK'
    });
    if (!result.button.accept || !result.value?.trim()) {
      return null;
    }
    id = result.value;
  }
  try {
    return checkTaskId(id);
  } catch (error) {
    Notification.error((error as Error).message, { autoClose: 8000 });
    return null;
  }
}

async function start(model: ClaudeModel, id: string, options: ICommandOptions) {
  try {
    const since = model.pushes;
    const reply = await model.api.start(id);
    model.updateSession(reply.session, since);
    Notification.success(
      reply.started ? `Claude session ${id} started.` : `Claude session ${id} is already running.`,
      { autoClose: 4000 }
    );
    if (reply.terminal && !reply.terminal.launched && reply.terminal.reason) {
      // Run didn't ask for a window explicitly: say so briefly.
      notifyNoTerminal(id, reply.terminal, options, 8000);
    }
    return reply;
  } catch (error) {
    return failed(model, `Cannot start ${id}`, error);
  }
}

async function startMany(model: ClaudeModel, ids: string[]) {
  try {
    const since = model.pushes;
    const reply = await model.api.startMany(ids);
    for (const session of reply.sessions) {
      model.updateSession(session, since);
    }
    const queued = reply.sessions.filter(session => session.state === 'queued').length;
    Notification.success(
      queued
        ? `${reply.sessions.length} Claude sessions started: ${queued} queued, their agents launch one after another.`
        : `${reply.sessions.length} Claude sessions are running.`,
      { autoClose: 5000 }
    );
    return reply;
  } catch (error) {
    return failed(model, `Cannot start ${ids.join(', ')}`, error);
  }
}

async function stop(model: ClaudeModel, id: string, options: ICommandOptions) {
  if (options.confirmStop()) {
    const result = await showDialog({
      title: 'Stop Claude session?',
      body: `Stop the session of task ${id}? Its process is ended; the log stays.`,
      buttons: [Dialog.cancelButton(), Dialog.warnButton({ label: 'Stop' })]
    });
    if (!result.button.accept) {
      return;
    }
  }
  try {
    const since = model.pushes;
    const reply = await model.api.stop(id);
    model.updateSession(reply.session, since);
    Notification.info(
      reply.stopped ? `Claude session ${id} stopped.` : `Claude session ${id} was not running.`,
      { autoClose: 4000 }
    );
    return reply;
  } catch (error) {
    return failed(model, `Cannot stop ${id}`, error);
  }
}

async function attach(model: ClaudeModel, id: string, options: ICommandOptions) {
  try {
    const terminal = await model.api.attach(id);
    if (terminal.launched || terminal.focused) {
      const what = terminal.terminal ?? 'A terminal';
      Notification.success(
        terminal.focused ? `${what} already showing ${id} was focused.` : `${what} opened on ${id}.`,
        { autoClose: 4000 }
      );
    } else if (terminal.attach_command && (await inLab(model, id, terminal.attach_command, options))) {
      const reason = (terminal.reason ?? 'No terminal window could be opened').replace(/\.?$/, '.');
      Notification.info(`${reason} ${id} is attached in a JupyterLab terminal tab instead.`, {
        autoClose: 6000
      });
    } else {
      notifyNoTerminal(id, terminal, options);
    }
    return terminal;
  } catch (error) {
    return failed(model, `Cannot attach to ${id}`, error);
  }
}

/** A JupyterLab terminal tab attached to the session, whatever the server's display. */
async function attachInLab(model: ClaudeModel, id: string, options: ICommandOptions) {
  try {
    // Headless: the server only checks the session and says how to attach.
    const terminal = await model.api.attach(id, { headless: true });
    if (!terminal.attach_command || !(await inLab(model, id, terminal.attach_command, options))) {
      Notification.warning('Terminals are not available in this JupyterLab.', { autoClose: 8000 });
      return undefined;
    }
    return terminal;
  } catch (error) {
    return failed(model, `Cannot attach to ${id}`, error);
  }
}

/** No window could be opened: say why, offer the command and the in-browser view. */
function notifyNoTerminal(
  id: string,
  terminal: ITerminal,
  options: ICommandOptions,
  autoClose: number | false = false
): void {
  const command = terminal.attach_command;
  const actions: Notification.IAction[] = [
    { label: 'Open log', callback: () => options.openLog(id) }
  ];
  if (command) {
    actions.unshift({
      label: 'Open terminal',
      callback: () => void options.openTerminal(id, command)
    });
  }
  if (command) {
    actions.unshift({
      label: 'Copy command',
      callback: () => Clipboard.copyToSystem(command)
    });
  }
  const reason = (terminal.reason ?? 'No terminal window could be opened').replace(/\.?$/, '.');
  Notification.warning(command ? `${reason} Attach with: ${command}` : reason, {
    autoClose,
    actions
  });
}

/** A JupyterLab terminal tab on the session: the one already attached, else a new one. */
function inLab(model: ClaudeModel, id: string, command: string, options: ICommandOptions) {
  const attached = (model.session(id)?.attached_clients ?? 0) > 0;
  return options.openTerminal(id, command, attached);
}

function failed(model: ClaudeModel, what: string, error: unknown): undefined {
  model.noteError(error);
  const reason = error instanceof ClaudeAPIError ? error.reason : String(error);
  Notification.error(`${what}: ${reason}`, { autoClose: 10000 });
  return undefined;
}
