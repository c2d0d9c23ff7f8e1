/**
 * Attach to a task's session from a JupyterLab terminal tab: the way in when
 * the server opens no window (headless, JupyterHub, no display, no GUI
 * terminal found). The tab's shell runs the server's own attach command, so
 * it is a real, interactive tmux client on the session.
 */
import { JupyterFrontEnd } from '@jupyterlab/application';
import { Terminal } from '@jupyterlab/services';
import { Widget } from '@lumino/widgets';

/** JupyterLab's command that shows an existing terminal session in a tab. */
const OPEN_TERMINAL = 'terminal:open';

/**
 * Shows a JupyterLab terminal tab attached to the task's session by running
 * `command`; with `reuse`, the tab this opener made for the task is brought to
 * the front instead when it is still open (as a GUI terminal already attached
 * is focused rather than opened twice). False when there are no terminals.
 */
export type TerminalOpener = (taskId: string, command: string, reuse?: boolean) => Promise<boolean>;

/** The opener for this application. */
export function labTerminalOpener(app: JupyterFrontEnd): TerminalOpener {
  const opened = new Map<string, Widget>();
  return async (taskId: string, command: string, reuse = false): Promise<boolean> => {
    const earlier = opened.get(taskId);
    if (reuse && earlier && !earlier.isDisposed) {
      app.shell.activateById(earlier.id);
      return true;
    }
    const terminals = app.serviceManager.terminals;
    if (!terminals.isAvailable() || !app.commands.hasCommand(OPEN_TERMINAL)) {
      return false;
    }
    const connection = await terminals.startNew();
    try {
      await connected(connection);
      // tmux will not attach from inside one of its own clients, and the server may have been
      // started in one: its terminals inherit $TMUX.
      connection.send({ type: 'stdin', content: [`env -u TMUX ${command}\r`] });
      const widget: unknown = await app.commands.execute(OPEN_TERMINAL, { name: connection.name });
      if (widget instanceof Widget) {
        opened.set(taskId, widget);
        widget.disposed.connect(() => {
          if (opened.get(taskId) === widget) {
            opened.delete(taskId);
          }
        });
      }
    } finally {
      connection.dispose(); // our socket only: the tab has its own, the terminal lives on
    }
    return true;
  };
}

/** Resolves once the terminal's websocket is open. */
function connected(connection: Terminal.ITerminalConnection): Promise<void> {
  if (connection.connectionStatus === 'connected') {
    return Promise.resolve();
  }
  return new Promise((resolve, reject) => {
    const onChange = (_: unknown, status: Terminal.ConnectionStatus): void => {
      if (status === 'connected') {
        connection.connectionStatusChanged.disconnect(onChange);
        resolve();
      } else if (status === 'disconnected') {
        connection.connectionStatusChanged.disconnect(onChange);
        reject(new Error('the terminal could not connect'));
      }
    };
    connection.connectionStatusChanged.connect(onChange);
  });
}
