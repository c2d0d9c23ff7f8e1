/**
 * jupyter-claude: the plugin wiring. One model (tasks + pushed sessions and
 * conflicts), the sidebar, the log tabs, the Changes tabs, the task board and
 * its task views, the task file toolbar/context menu and the commands.
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
import { IEditorLanguageRegistry } from '@jupyterlab/codemirror';
import { IFileBrowserFactory } from '@jupyterlab/filebrowser';
import { ILauncher } from '@jupyterlab/launcher';
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { ISettingRegistry } from '@jupyterlab/settingregistry';

import { CommandToolbarButton } from '@jupyterlab/ui-components';

import { ClaudeAPI } from './api';
import { addTaskBoard } from './boardplugin';
import { ClaudeChangesView, createChangesWidget } from './changes';
import { addCommands } from './commands';
import {
  CHANGES_TRACKER_NAMESPACE,
  CommandIDs,
  LOG_TRACKER_NAMESPACE,
  PLUGIN_ID,
  SIDEBAR_RESTORE_NAME
} from './ids';
import { labTerminalOpener } from './labterminal';
import { ClaudeLogView, createLogWidget } from './logview';
import { ClaudeModel } from './model';
import { askDesktopPermission, SessionNotifier } from './notifier';
import { addReviewCommands } from './reviewcommands';
import { ClaudeSessionsPanel } from './sidebar';
import { addTaskFileSupport } from './taskbutton';

/** The user settings (schema/plugin.json), with their defaults. */
interface IConfig {
  confirmStop: boolean;
  refreshInterval: number;
  scrollback: number;
  notifications: boolean;
  desktopNotifications: boolean;
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
    const config: IConfig = {
      confirmStop: true,
      refreshInterval: 60,
      scrollback: 10000,
      notifications: true,
      desktopNotifications: false
    };
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
      widget.toolbar.addItem(
        'changes',
        new CommandToolbarButton({ commands: app.commands, id: CommandIDs.openChanges, args: { id } })
      );
      void tracker.add(widget);
      app.shell.add(widget, labShell ? 'main' : 'right');
      app.shell.activateById(widget.id);
    };
    // Changes tabs: one per task, reopening focuses the existing one.
    const changesTracker = new WidgetTracker<MainAreaWidget<ClaudeChangesView>>({
      namespace: CHANGES_TRACKER_NAMESPACE
    });
    const openChanges = (id: string): ClaudeChangesView => {
      const existing = changesTracker.find(widget => widget.content.taskId === id);
      if (existing) {
        app.shell.activateById(existing.id);
        return existing.content;
      }
      // Looked up when first needed, so the plugin does not wait for the editor's plugins.
      const languages = app.resolveOptionalService(IEditorLanguageRegistry);
      const widget = createChangesWidget(id, model, languages);
      void changesTracker.add(widget);
      app.shell.add(widget, labShell ? 'main' : 'right');
      app.shell.activateById(widget.id);
      return widget.content;
    };
    addReviewCommands(app, openChanges);

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

    // Be told: waiting for you, finished its turn, exited.
    new SessionNotifier(model, {
      openLog,
      enabled: () => config.notifications,
      desktop: () => config.desktopNotifications
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
        CommandIDs.refresh,
        CommandIDs.openChanges,
        CommandIDs.land
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
      void restorer.restore(changesTracker, {
        command: CommandIDs.openChanges,
        args: widget => ({ id: widget.content.taskId }),
        name: widget => widget.content.taskId
      });
    }

    // Settings.
    if (settingRegistry) {
      let loaded = false;
      const apply = (settings: ISettingRegistry.ISettings): void => {
        const read = settings.composite as unknown as Partial<IConfig>;
        config.confirmStop = read.confirmStop ?? true;
        config.refreshInterval = read.refreshInterval ?? 60;
        config.scrollback = read.scrollback ?? 10000;
        config.notifications = read.notifications ?? true;
        const desktop = read.desktopNotifications ?? false;
        if (desktop && !config.desktopNotifications && loaded) {
          // Turned on in the Settings Editor: ask the browser now (it remembers the answer).
          void askDesktopPermission();
        }
        config.desktopNotifications = desktop;
        panel.refreshInterval = config.refreshInterval;
      };
      settingRegistry
        .load(PLUGIN_ID)
        .then(settings => {
          apply(settings);
          loaded = true;
          settings.changed.connect(apply);
        })
        .catch(reason => console.warn('jupyter-claude: cannot load settings', reason));
    }

    void model.start();
  }
};

export default plugin;
