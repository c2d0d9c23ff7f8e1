/**
 * The extension's fixed names: its plugin id, its command ids and the ids of
 * its widgets. The plugin wiring, the sidebar, the task file toolbar and the
 * log tabs all take them from here, and the browser tests rely on them.
 */

/** The plugin id, also the key of its settings (schema/plugin.json). */
export const PLUGIN_ID = 'jupyter-claude:plugin';

/** Command ids. */
export const CommandIDs = {
  start: 'claude:start',
  startMany: 'claude:start-many',
  stop: 'claude:stop',
  attach: 'claude:attach',
  attachInLab: 'claude:attach-in-lab',
  openLog: 'claude:open-log',
  startFromFile: 'claude:start-from-file',
  showSessions: 'claude:show-sessions',
  refresh: 'claude:refresh',
  openChanges: 'claude:open-changes',
  land: 'claude:land',
  openBoard: 'claude:open-board',
  newTask: 'claude:new-task',
  moveTask: 'claude:move-task',
  openTask: 'claude:open-task'
} as const;

/** The DOM id of the "Claude Sessions" sidebar. */
export const SIDEBAR_ID = 'jp-claude-sessions';

/** The layout restorer's name for the sidebar. */
export const SIDEBAR_RESTORE_NAME = 'jupyter-claude-sessions';

/** The namespace of the log tabs' widget tracker. */
export const LOG_TRACKER_NAMESPACE = 'jupyter-claude-log';

/** The DOM id of a task's log tab. */
export function logWidgetId(taskId: string): string {
  return `jp-claude-log-${taskId}`;
}

/** The namespace of the changes tabs' widget tracker. */
export const CHANGES_TRACKER_NAMESPACE = 'jupyter-claude-changes';

/** The DOM id of a task's changes tab. */
export function changesWidgetId(taskId: string): string {
  return `jp-claude-changes-${taskId}`;
}

/** The DOM id of the task board tab. */
export const BOARD_ID = 'jp-claude-board';

/** The namespace of the task views' widget tracker. */
export const TASK_TRACKER_NAMESPACE = 'jupyter-claude-task';

/** The DOM id of a task's view tab. */
export function taskWidgetId(taskId: string): string {
  return `jp-claude-task-${taskId}`;
}
