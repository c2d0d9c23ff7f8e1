/**
 * jupyter-claude: the plugin wiring. One model (tasks + pushed sessions), the
 * sidebar, the log tabs, the task file toolbar/context menu and the commands.
 * Every token but the application is optional, so this runs in JupyterLab 4
 * and in Notebook 7 (where log tabs open in the right side panel, as
 * Notebook's main area holds a single document).
 */
import {
  ILabShell,
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import {
  ICommandPalette,
  IThemeManager,
  MainAreaWidget,
  WidgetTracker
} from '@jupyterlab/apputils';
import { IFileBrowserFactory } from '@jupyterlab/filebrowser';
import { ILauncher } from '@jupyterlab/launcher';
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { ISettingRegistry } from '@jupyterlab/settingregistry';

import { ClaudeAPI } from './api';
import { addTaskBoard } from './boardplugin';
import { addCommands } from './commands';
import {
  CommandIDs,
  LOG_TRACKER_NAMESPACE,
  PLUGIN_ID,
  SIDEBAR_RESTORE_NAME
} from './ids';
import { labTerminalOpener } from './labterminal';
import { ClaudeLogView, createLogWidget } from './logview';
import { ClaudeModel } from './model';
import { ClaudeSessionsPanel } from './sidebar';
import { addTaskFileSupport } from './taskbutton';

/** The user settings (schema/plugin.json), with their defaults. */
interface IConfig {
  confirmStop: boolean;
  refreshInterval: number;
  scrollback: number;
}

const plugin: JupyterFrontEndPlugin<void> = {
  id: PLUGIN_ID,
  description: 'Claude Sessions sidebar, pushed session badges and live log tabs.',
  autoStart: true,
  optional: [
    ICommandPalette,
    ISettingRegistry,
    IFileBrowserFactory,
    ILayoutRestorer,
    ILabShell,
    IThemeManager,
    ILauncher,
    IRenderMimeRegistry
  ],
  activate: (
    app: JupyterFrontEnd,
    palette: ICommandPalette | null,
    settingRegistry: ISettingRegistry | null,
    fileBrowserFactory: IFileBrowserFactory | null,
    restorer: ILayoutRestorer | null,
    labShell: ILabShell | null,
    themeManager: IThemeManager | null,
    launcher: ILauncher | null,
    rendermime: IRenderMimeRegistry | null
  ) => {
    const config: IConfig = { confirmStop: true, refreshInterval: 60, scrollback: 10000 };
    const model = new ClaudeModel(new ClaudeAPI(app.serviceManager.serverSettings));

    // The sidebar.
    const panel = new ClaudeSessionsPanel(model, app.commands);
    panel.refreshInterval = config.refreshInterval;
    app.shell.add(panel, 'left', { rank: 600 });
    restorer?.add(panel, SIDEBAR_RESTORE_NAME);

    // Log tabs: one per task, reopening focuses the existing one.
    const tracker = new WidgetTracker<MainAreaWidget<ClaudeLogView>>({
      namespace: LOG_TRACKER_NAMESPACE
    });
    const openLog = (id: string): void => {
      const existing = tracker.find(widget => widget.content.taskId === id);
      if (existing) {
        app.shell.activateById(existing.id);
        return;
      }
      const widget = createLogWidget(id, model, config.scrollback);
      void tracker.add(widget);
      app.shell.add(widget, labShell ? 'main' : 'right');
      app.shell.activateById(widget.id);
    };
    // The task board, its task views and their commands.
    const board = addTaskBoard(app, model, {
      palette,
      launcher,
      restorer,
      rendermime,
      labShell,
      scrollback: () => config.scrollback
    });
    themeManager?.themeChanged.connect(() => {
      // Let the new theme's CSS variables apply before reading them.
      requestAnimationFrame(() => {
        tracker.forEach(widget => widget.content.updateTheme());
        board.updateTheme();
      });
    });

    // Commands, palette, task files.
    addCommands(app, {
      model,
      openLog,
      openTerminal: labTerminalOpener(app),
      confirmStop: () => config.confirmStop
    });
    app.commands.addCommand(CommandIDs.showSessions, {
      label: 'Claude: Show sessions',
      execute: () => app.shell.activateById(panel.id)
    });
    addTaskFileSupport(app, model, fileBrowserFactory);
    if (palette) {
      for (const command of [
        CommandIDs.start,
        CommandIDs.stop,
        CommandIDs.attach,
        CommandIDs.attachInLab,
        CommandIDs.openLog,
        CommandIDs.showSessions,
        CommandIDs.refresh
      ]) {
        palette.addItem({ command, category: 'Claude' });
      }
    }
    if (restorer) {
      void restorer.restore(tracker, {
        command: CommandIDs.openLog,
        args: widget => ({ id: widget.content.taskId }),
        name: widget => widget.content.taskId
      });
    }

    // Settings.
    if (settingRegistry) {
      const apply = (settings: ISettingRegistry.ISettings): void => {
        const read = settings.composite as unknown as Partial<IConfig>;
        config.confirmStop = read.confirmStop ?? true;
        config.refreshInterval = read.refreshInterval ?? 60;
        config.scrollback = read.scrollback ?? 10000;
        panel.refreshInterval = config.refreshInterval;
      };
      settingRegistry
        .load(PLUGIN_ID)
        .then(settings => {
          apply(settings);
          settings.changed.connect(apply);
        })
        .catch(reason => console.warn('jupyter-claude: cannot load settings', reason));
    }

    void model.start();
  }
};

export default plugin;
