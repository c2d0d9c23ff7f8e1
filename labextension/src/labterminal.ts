/**
 * Attach to a task's session from a JupyterLab terminal tab: the way in when
 * the server opens no window (headless, JupyterHub, no display, no GUI
 * terminal found). The tab's shell runs the server's own attach command, so
 * it is a real, interactive tmux client on the session.
 */
import { JupyterFrontEnd } from '@jupyterlab/application';
import { Terminal } from '@jupyterlab/services';

/** JupyterLab's command that shows an existing terminal session in a tab. */
const OPEN_TERMINAL = 'terminal:open';

/** Opens a JupyterLab terminal running `command`; false when this JupyterLab has no terminals. */
export type TerminalOpener = (command: string) => Promise<boolean>;

/** The opener for this application. */
export function labTerminalOpener(app: JupyterFrontEnd): TerminalOpener {
  return async (command: string): Promise<boolean> => {
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
      await app.commands.execute(OPEN_TERMINAL, { name: connection.name });
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
