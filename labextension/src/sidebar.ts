/**
 * The "Claude Sessions" left sidebar: one row per task or session with its
 * live badge, a warning when its task log is not whole, a ⚠ when its branch
 * would conflict with another task's or the base (naming them and the files),
 * and Run / Stop / Attach / Open log / Changes buttons; the approval card of a
 * pending permission request; a filter box, and a banner when the server side
 * can't work or can't tell session states. The sidebar's tab shows how many
 * requests are pending.
 *
 * Plain DOM on top of ClaudeModel; every action runs a command, so the
 * buttons and the palette behave the same.
 */
import {
  launchIcon,
  LabIcon,
  refreshIcon,
  runIcon,
  stopIcon,
  terminalIcon
} from '@jupyterlab/ui-components';
import { CommandRegistry } from '@lumino/commands';
import { Message } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';

import { pendingCount, pendingOf } from './approval';
import { ApprovalCard } from './approvalcard';
import { badgeForRow, badgeTooltip, hasSession, isLive, logNote } from './badges';
import { ConnectionState } from './events';
import { CommandIDs, SIDEBAR_ID } from './ids';
import { ClaudeModel, IRow } from './model';
import { conflictBadge, conflictText } from './review';

/** The sidebar icon: a terminal prompt in a rounded frame. */
export const claudeIcon = new LabIcon({
  name: 'jupyter-claude:sessions',
  svgstr:
    '<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 24 24">' +
    '<path class="jp-icon3" fill="#616161" d="M4 3h16a2 2 0 0 1 2 2v14a2 2 0 0 1-2 2H4a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2zm0 2v14h16V5H4zm2.3 3.7 1.4-1.4L12.4 12l-4.7 4.7-1.4-1.4L9.6 12 6.3 8.7zM13 15h5v2h-5v-2z"/>' +
    '</svg>'
});

/** The Changes icon: a plus over a minus, as diffs show them. */
export const changesIcon = new LabIcon({
  name: 'jupyter-claude:changes',
  svgstr:
    '<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 24 24">' +
    '<path class="jp-icon3" fill="#616161" d="M11 3h2v4h4v2h-4v4h-2V9H7V7h4V3zM7 17h10v2H7v-2z"/>' +
    '</svg>'
});

/** The buttons of a row: action name → command, icon and tooltip. */
const ACTIONS: {
  action: 'run' | 'stop' | 'attach' | 'log' | 'changes';
  command: string;
  icon: LabIcon;
  label: string;
  enabled: (row: IRow) => boolean;
}[] = [
  {
    action: 'run',
    command: CommandIDs.start,
    icon: runIcon,
    label: 'Run: start the session',
    enabled: row => !isLive(row.session)
  },
  {
    action: 'stop',
    command: CommandIDs.stop,
    icon: stopIcon,
    label: 'Stop the session',
    enabled: row => hasSession(row.session)
  },
  {
    action: 'attach',
    command: CommandIDs.attach,
    icon: launchIcon,
    label: 'Attach: open a terminal window on the session',
    enabled: row => isLive(row.session)
  },
  {
    action: 'log',
    command: CommandIDs.openLog,
    icon: terminalIcon,
    label: 'Open log: live view in a tab',
    enabled: () => true
  },
  {
    action: 'changes',
    command: CommandIDs.openChanges,
    icon: changesIcon,
    label: "Changes: the task's diff, and Land",
    enabled: row => row.valid
  }
];

/** The sidebar tab's `data-*` key holding how many permission requests are pending. */
const PENDING_KEY = 'claude-pending';

const CONNECTION_TITLES: Record<ConnectionState, string> = {
  open: 'Live updates: connected',
  connecting: 'Live updates: connecting…',
  closed: 'Live updates: disconnected, retrying'
};

/** The sidebar panel. */
export class ClaudeSessionsPanel extends Widget {
  constructor(
    private readonly model: ClaudeModel,
    private readonly commands: CommandRegistry
  ) {
    super();
    this.id = SIDEBAR_ID;
    this.addClass('jp-ClaudeSessions');
    this.title.icon = claudeIcon;
    this.title.caption = 'Claude Sessions';

    const node = this.node;
    const header = div('jp-ClaudeSessions-header');
    const heading = document.createElement('h2');
    heading.className = 'jp-ClaudeSessions-title';
    heading.textContent = 'Claude Sessions';
    this._connection = div('jp-ClaudeSessions-connection');
    const refresh = document.createElement('button');
    refresh.className = 'jp-ClaudeSessions-iconButton';
    refresh.dataset.action = 'refresh';
    refresh.title = 'Refresh the task list';
    refresh.setAttribute('aria-label', refresh.title);
    refreshIcon.element({ container: refresh, tag: 'span' });
    refresh.onclick = () => {
      this.model.events.reconnectNow();
      void this.model.refresh();
    };
    header.append(heading, this._connection, refresh);

    this._banner = div('jp-ClaudeSessions-banner');
    this._banner.setAttribute('role', 'alert');

    this._filter = document.createElement('input');
    this._filter.type = 'search';
    this._filter.className = 'jp-ClaudeSessions-filter jp-mod-styled';
    this._filter.placeholder = 'Filter by id, title or status';
    this._filter.setAttribute('aria-label', 'Filter tasks');
    this._filter.oninput = () => this._renderRows();

    this._list = document.createElement('ul');
    this._list.className = 'jp-ClaudeSessions-list';
    this._list.onclick = event => this._onClick(event);

    this._empty = div('jp-ClaudeSessions-empty');
    this._problems = document.createElement('details');
    this._problems.className = 'jp-ClaudeSessions-problems';

    node.append(header, this._banner, this._filter, this._list, this._empty, this._problems);

    model.changed.connect(this._render, this);
    model.events.stateChanged.connect(this._renderConnection, this);
    this._render();
    this._renderConnection();
  }

  /** Seconds between task list refreshes while the panel is shown (0: never). */
  set refreshInterval(seconds: number) {
    window.clearInterval(this._interval);
    this._interval = 0;
    if (seconds > 0) {
      this._interval = window.setInterval(() => {
        if (this.isVisible && !document.hidden) {
          void this.model.refresh();
        }
      }, seconds * 1000);
    }
  }

  dispose(): void {
    window.clearInterval(this._interval);
    this._cards.forEach(card => card.dispose());
    this._cards.clear();
    super.dispose();
  }

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    void this.model.refresh();
  }

  private _render(): void {
    const banner = this.model.banner;
    this._banner.hidden = banner === null;
    this._banner.dataset.kind = banner?.kind ?? '';
    this._banner.replaceChildren();
    if (banner) {
      const title = document.createElement('strong');
      title.textContent = banner.title;
      this._banner.append(title, document.createElement('br'), banner.message);
    }

    const problems = this.model.problems;
    this._problems.hidden = problems.length === 0;
    this._problems.replaceChildren();
    if (problems.length) {
      const summary = document.createElement('summary');
      summary.textContent = `${problems.length} task file${problems.length > 1 ? 's' : ''} could not be read`;
      const list = document.createElement('ul');
      for (const problem of problems) {
        const item = document.createElement('li');
        item.textContent = `${problem.path}: ${problem.reason}`;
        list.append(item);
      }
      this._problems.append(summary, list);
    }
    this._renderRows();
    this._renderPending();
  }

  /** The tab's count of pending requests (`data-claude-pending`), and its caption. */
  private _renderPending(): void {
    const count = pendingCount(this.model.rows);
    const dataset: Record<string, string> = { ...this.title.dataset };
    delete dataset[PENDING_KEY];
    if (count > 0) {
      dataset[PENDING_KEY] = String(count);
    }
    if (this.title.dataset[PENDING_KEY] !== dataset[PENDING_KEY]) {
      this.title.dataset = dataset;
    }
    this.title.caption =
      count === 0
        ? 'Claude Sessions'
        : `Claude Sessions — ${count} permission request${count > 1 ? 's' : ''} pending`;
  }

  private _renderRows(): void {
    const needle = this._filter.value.trim().toLowerCase();
    const rows = this.model.rows.filter(row => matches(row, needle));
    // Rebuild only the rows that changed, so a click or focus in the others survives.
    const nodes = new Map<string, { key: string; node: HTMLLIElement }>();
    for (const row of rows) {
      const key = JSON.stringify([row, this._pending.has(row.id), this.model.conflictsFor(row.id)]);
      const old = this._rows.get(row.id);
      nodes.set(row.id, old?.key === key ? old : { key, node: this._renderRow(row) });
    }
    this._rows = nodes;
    // Cards of requests no longer pending go (a filtered-out row keeps its card).
    for (const [id, card] of this._cards) {
      if (pendingOf(this.model.session(id))?.request !== card.request) {
        card.dispose();
        this._cards.delete(id);
      }
    }
    const wanted = new Set([...nodes.values()].map(entry => entry.node));
    for (const child of [...this._list.children]) {
      if (!wanted.has(child as HTMLLIElement)) {
        child.remove();
      }
    }
    let cursor = this._list.firstElementChild;
    for (const node of wanted) {
      if (node === cursor) {
        cursor = cursor.nextElementSibling;
      } else {
        this._list.insertBefore(node, cursor);
      }
    }

    this._empty.hidden = rows.length > 0 || this.model.banner !== null;
    if (!this.model.loaded) {
      this._empty.textContent = 'Loading…';
    } else if (needle) {
      this._empty.textContent = 'No task matches the filter.';
    } else {
      this._empty.textContent = 'No tasks and no sessions yet.';
    }
  }

  private _renderRow(row: IRow): HTMLLIElement {
    const badge = badgeForRow(row);
    const item = document.createElement('li');
    item.className = 'jp-ClaudeSessions-row';
    item.dataset.taskId = row.id;
    item.dataset.state = badge.state;
    if (!row.valid) {
      item.classList.add('jp-mod-invalid');
      item.title = row.invalidReason ?? 'This task file is not valid';
    }

    const main = div('jp-ClaudeSessions-rowMain');
    const badgeNode = span('jp-ClaudeSessions-badge', badge.text);
    badgeNode.dataset.state = badge.state;
    badgeNode.title = badgeTooltip(row);
    const id = span('jp-ClaudeSessions-id', row.id);
    const title = span('jp-ClaudeSessions-taskTitle', row.title ?? (row.path ? '' : 'no task file'));
    if (row.path) {
      title.classList.add('jp-mod-link');
      title.dataset.path = row.path;
      title.title = `Open ${row.path}`;
    } else {
      title.classList.add('jp-mod-orphan');
    }
    main.append(badgeNode, id, title);
    const conflicts = this.model.conflictsFor(row.id);
    if (conflicts.length) {
      const warning = span('jp-ClaudeSessions-conflict', conflictBadge(conflicts));
      warning.title = conflictText(conflicts, this.model.conflicts?.base ?? null);
      warning.dataset.with = conflicts.map(c => c.other).join(' ');
      warning.setAttribute('aria-label', warning.title);
      main.append(warning);
    }

    const detail = div('jp-ClaudeSessions-rowDetail');
    const note = logNote(row.session);
    if (note) {
      const marker = span('jp-ClaudeSessions-logHealth', note.text);
      marker.dataset.log = row.session?.log ?? '';
      marker.title = note.title;
      detail.append(marker);
    }
    detail.append(span('jp-ClaudeSessions-status', row.status ?? ''));
    const actions = div('jp-ClaudeSessions-actions');
    for (const spec of ACTIONS) {
      const button = document.createElement('button');
      button.className = 'jp-ClaudeSessions-iconButton';
      button.dataset.action = spec.action;
      button.title = spec.label;
      button.setAttribute('aria-label', `${spec.label} (${row.id})`);
      button.disabled = this._pending.has(row.id) || !spec.enabled(row);
      spec.icon.element({ container: button, tag: 'span' });
      actions.append(button);
    }
    detail.append(actions);
    item.append(main, detail);
    const pending = pendingOf(row.session);
    if (pending) {
      // The same card moves into a rebuilt row: its expanded input and typed reason stay.
      let card = this._cards.get(row.id);
      if (card?.request !== pending.request) {
        card?.dispose();
        card = new ApprovalCard(this.model.api, row.id, pending);
        this._cards.set(row.id, card);
      }
      item.classList.add('jp-mod-pending');
      item.append(card.node);
    }
    return item;
  }

  private _renderConnection(): void {
    const state = this.model.events.state;
    this._connection.dataset.connection = state;
    this._connection.title = CONNECTION_TITLES[state];
  }

  private _onClick(event: MouseEvent): void {
    const target = event.target as HTMLElement;
    const row = target.closest<HTMLElement>('.jp-ClaudeSessions-row');
    const id = row?.dataset.taskId;
    if (!id) {
      return;
    }
    const button = target.closest<HTMLButtonElement>('button[data-action]');
    if (button && !button.disabled) {
      const spec = ACTIONS.find(a => a.action === button.dataset.action);
      if (spec) {
        void this._run(id, spec.command);
      }
      return;
    }
    const path = target.closest<HTMLElement>('.jp-mod-link')?.dataset.path;
    if (path) {
      void this.commands.execute('docmanager:open', { path });
    }
  }

  /** Run a command for a row, keeping its buttons disabled meanwhile. */
  private async _run(id: string, command: string): Promise<void> {
    this._pending.add(id);
    this._renderRows();
    try {
      await this.commands.execute(command, { id });
    } finally {
      this._pending.delete(id);
      this._renderRows();
    }
  }

  private _connection: HTMLElement;
  private _banner: HTMLElement;
  private _filter: HTMLInputElement;
  private _list: HTMLUListElement;
  private _empty: HTMLElement;
  private _problems: HTMLDetailsElement;
  private _pending = new Set<string>();
  private _rows = new Map<string, { key: string; node: HTMLLIElement }>();
  private _cards = new Map<string, ApprovalCard>();
  private _interval = 0;
}

function matches(row: IRow, needle: string): boolean {
  if (!needle) {
    return true;
  }
  const badge = badgeForRow(row);
  return [row.id, row.title, row.status, row.path, badge.label]
    .filter(Boolean)
    .some(text => (text as string).toLowerCase().includes(needle));
}

function div(className: string): HTMLDivElement {
  const node = document.createElement('div');
  node.className = className;
  return node;
}

function span(className: string, text: string): HTMLSpanElement {
  const node = document.createElement('span');
  node.className = className;
  node.textContent = text;
  return node;
}
