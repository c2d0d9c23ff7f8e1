/**
 * The "Claude Sessions" left sidebar: one row per task or session with its
 * live badge, a warning when its task log is not whole, a ⚠ when its branch
 * would conflict with another task's or the base (naming them and the files),
 * and Run / Stop / Attach / Open log / Changes buttons; the approval card of a
 * pending permission request in its row; what the task has cost so far, a
 * rate limit's reset, a place in the launch queue; checkboxes and "Run
 * selected" (the tasks start at once, their agents one after another); a
 * filter box, and a banner when the server side can't work or can't tell
 * session states. The sidebar's tab
 * shows how many requests are pending. Rows sort by id in natural order (t1,
 * t2, t10), or group by session state (waiting first); only the rows in view
 * are in the DOM (virtuallist.ts), so 10,000 tasks cost what 30 do. A row is
 * ROW_HEIGHT tall, or, with an approval card, as tall as it is drawn (the list
 * measures it); the card object outlives its row's nodes, so an expanded
 * input and a typed reason stay through re-renders and scrolling.
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

import { pendingOf } from './approval';
import { ApprovalCard } from './approvalcard';
import { badgeForRow, badgeTooltip, hasSession, isLive, logNote } from './badges';
import { ConnectionState } from './events';
import { div, span } from './dom';
import { CommandIDs, SIDEBAR_ID } from './ids';
import { ClaudeModel, IRow } from './model';
import { conflictBadge, conflictText } from './review';
import { limitLine, usageLine, usageTooltip } from './usage';
import { STATES, stateWords } from './vocabulary';
import { VirtualList } from './virtuallist';

/** Heights of a row and of a group heading (the CSS gives them the same). */
export const ROW_HEIGHT = 52;
export const GROUP_HEIGHT = 26;

/**
 * The height assumed for a row with an approval card until it is drawn and
 * measured (a row and a card with its summary and buttons, collapsed).
 */
export const PENDING_ROW_HEIGHT = 156;

/** What the list shows: a row, or the heading of a group of rows in one state. */
type ListItem = { kind: 'row'; row: IRow } | { kind: 'group'; state: string; text: string; count: number };

/** The sidebar icon: a terminal prompt in a rounded frame. */
export const claudeIcon = new LabIcon({
  name: 'jupyter-claude:sessions',
  svgstr:
    '<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 24 24">' +
    '<path class="jp-icon3" fill="#616161" d="M4 3h16a2 2 0 0 1 2 2v14a2 2 0 0 1-2 2H4a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2zm0 2v14h16V5H4zm2.3 3.7 1.4-1.4L12.4 12l-4.7 4.7-1.4-1.4L9.6 12 6.3 8.7zM13 15h5v2h-5v-2z"/>' +
    '</svg>'
});

/** The task board's icon: three columns of cards. */
export const boardIcon = new LabIcon({
  name: 'jupyter-claude:board',
  svgstr:
    '<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 24 24">' +
    '<path class="jp-icon3" fill="#616161" d="M3 3h5v18H3V3zm1.5 2v4h2V5h-2zm5-2h5v18h-5V3zm1.5 2v7h2V5h-2zm5-2h5v18h-5V3zm1.5 2v3h2V5h-2z"/>' +
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
    const group = document.createElement('button');
    group.className = 'jp-ClaudeSessions-iconButton jp-ClaudeSessions-groupButton';
    group.dataset.action = 'group';
    group.textContent = '≡';
    group.title = 'Group by session state (waiting first)';
    group.setAttribute('aria-label', group.title);
    group.setAttribute('aria-pressed', 'false');
    group.onclick = () => {
      this.groupByState = !this.groupByState;
    };
    this._groupButton = group;
    const board = document.createElement('button');
    board.className = 'jp-ClaudeSessions-iconButton';
    board.dataset.action = 'board';
    board.title = 'Open the task board';
    board.setAttribute('aria-label', board.title);
    boardIcon.element({ container: board, tag: 'span' });
    board.onclick = () => void this.commands.execute(CommandIDs.openBoard);
    header.append(heading, this._connection, board, group, refresh);

    this._banner = div('jp-ClaudeSessions-banner');
    this._banner.setAttribute('role', 'alert');

    this._filter = document.createElement('input');
    this._filter.type = 'search';
    this._filter.className = 'jp-ClaudeSessions-filter jp-mod-styled';
    this._filter.placeholder = 'Filter by id, title or status';
    this._filter.setAttribute('aria-label', 'Filter tasks');
    this._filter.oninput = () => this._renderRows();

    this._selection = div('jp-ClaudeSessions-selection');
    this._selection.hidden = true;
    this._selectionCount = span('jp-ClaudeSessions-selectionCount', '');
    const runSelected = document.createElement('button');
    runSelected.className = 'jp-ClaudeSessions-runSelected';
    runSelected.dataset.action = 'run-selected';
    runSelected.textContent = 'Run selected';
    runSelected.title = 'Start the selected tasks: their agents launch one after another';
    runSelected.onclick = () => void this._runSelected();
    const clear = document.createElement('button');
    clear.className = 'jp-ClaudeSessions-clearSelection';
    clear.textContent = 'Clear';
    clear.title = 'Clear the selection';
    clear.onclick = () => {
      this._selected.clear();
      this._renderRows();
    };
    this._selection.append(this._selectionCount, runSelected, clear);

    this._list = document.createElement('div');
    this._list.className = 'jp-ClaudeSessions-list';
    this._list.onclick = event => this._onClick(event);
    this._virtual = new VirtualList<ListItem>({
      scroller: this._list,
      spacerTag: 'ul',
      spacerClass: 'jp-ClaudeSessions-rows',
      height: item =>
        item.kind === 'group' ? GROUP_HEIGHT : pendingOf(item.row.session) ? PENDING_ROW_HEIGHT : ROW_HEIGHT,
      measure: item => item.kind === 'row' && pendingOf(item.row.session) !== null,
      key: item => (item.kind === 'row' ? `row:${item.row.id}` : `group:${item.state}`),
      signature: item => (item.kind === 'row' ? this._rowSignature(item.row) : `${item.text}:${item.count}`),
      render: item => (item.kind === 'row' ? this._renderRow(item.row) : this._renderGroup(item))
    });

    this._empty = div('jp-ClaudeSessions-empty');
    this._problems = document.createElement('details');
    this._problems.className = 'jp-ClaudeSessions-problems';

    node.append(header, this._banner, this._filter, this._selection, this._list, this._empty, this._problems);

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

  /** Whether rows are grouped by session state (waiting first) rather than listed by id. */
  get groupByState(): boolean {
    return this._groupByState;
  }

  set groupByState(value: boolean) {
    this._groupByState = value;
    this._groupButton.setAttribute('aria-pressed', String(value));
    this._groupButton.classList.toggle('jp-mod-active', value);
    this._renderRows();
  }

  dispose(): void {
    window.clearInterval(this._interval);
    this._virtual.dispose();
    this._cards.forEach(card => card.dispose());
    this._cards.clear();
    super.dispose();
  }

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    if (this._stale) {
      this._renderRows();
    }
    this._virtual.update();
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
    this._renderPending();
    this._renderRows();
  }

  /**
   * The tab's count of pending requests (`data-claude-pending`) and its
   * caption, also while the panel is hidden; cards of requests no longer
   * pending go (a row filtered out or scrolled away keeps its card).
   */
  private _renderPending(): void {
    for (const [id, card] of this._cards) {
      if (pendingOf(this.model.session(id))?.request !== card.request) {
        card.dispose();
        this._cards.delete(id);
      }
    }
    const count = this.model.pendingCount; // also while hidden: the tab shows it
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
    if (!this.isVisible) {
      this._stale = true; // drawn when shown: a hidden panel costs nothing per event
      return;
    }
    this._stale = false;
    const needle = this._filter.value.trim().toLowerCase();
    const all = this.model.rows;
    const ranks = this.model.naturalRanks;
    const rows = all.filter(row => matches(row, needle));
    const items: ListItem[] = [];
    if (this._groupByState) {
      const groups = new Map<string, { text: string; rows: IRow[] }>();
      for (const row of rows) {
        const badge = badgeForRow(row);
        const group = groups.get(badge.state) ?? { text: groupText(badge.state, badge.text), rows: [] };
        group.rows.push(row);
        groups.set(badge.state, group);
      }
      const order = [...groups.keys()].sort((a, b) => groupRank(a) - groupRank(b) || a.localeCompare(b));
      for (const state of order) {
        const group = groups.get(state)!;
        items.push({ kind: 'group', state, text: group.text, count: group.rows.length });
        group.rows.sort((a, b) => ranks.get(a.id)! - ranks.get(b.id)!);
        items.push(...group.rows.map(row => ({ kind: 'row' as const, row })));
      }
    } else {
      rows.sort((a, b) => ranks.get(a.id)! - ranks.get(b.id)!);
      items.push(...rows.map(row => ({ kind: 'row' as const, row })));
    }
    // A row drawn again takes its card along; a focus in the card (a reason being typed) stays.
    const active = document.activeElement;
    const typing =
      active instanceof HTMLElement && this._list.contains(active) && active.closest('.jp-ClaudeApproval') !== null;
    this._virtual.setItems(items);
    this._renderSelection();
    if (typing && active.isConnected && document.activeElement !== active) {
      active.focus({ preventScroll: true });
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

  private _renderGroup(item: { state: string; text: string; count: number }): HTMLLIElement {
    const node = document.createElement('li');
    node.className = 'jp-ClaudeSessions-group';
    node.dataset.state = item.state;
    node.setAttribute('role', 'heading');
    node.setAttribute('aria-level', '3');
    node.append(span('jp-ClaudeSessions-groupText', item.text), span('jp-ClaudeSessions-groupCount', String(item.count)));
    return node;
  }

  /** Changes whenever a row must be drawn again: the row, its busy buttons, its conflicts. */
  private _rowSignature(row: IRow): string {
    const conflicts = this.model.conflictsFor(row.id);
    const base = conflicts.length ? this.model.conflicts?.base ?? null : null;
    return JSON.stringify([row, this._busy.has(row.id), conflicts, base, this._selected.has(row.id)]);
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
    const select = document.createElement('input');
    select.type = 'checkbox';
    select.className = 'jp-ClaudeSessions-select';
    select.checked = this._selected.has(row.id);
    select.disabled = !row.valid;
    select.title = 'Select for Run selected';
    select.setAttribute('aria-label', `Select ${row.id}`);
    main.append(select);
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
    detail.append(span('jp-ClaudeSessions-status', row.status ?? ''), ...figures(row));
    const actions = div('jp-ClaudeSessions-actions');
    for (const spec of ACTIONS) {
      const button = document.createElement('button');
      button.className = 'jp-ClaudeSessions-iconButton';
      button.dataset.action = spec.action;
      button.title = spec.label;
      button.setAttribute('aria-label', `${spec.label} (${row.id})`);
      button.disabled = this._busy.has(row.id) || !spec.enabled(row);
      spec.icon.element({ container: button, tag: 'span' });
      actions.append(button);
    }
    detail.append(actions);
    item.append(main, detail);
    const pending = pendingOf(row.session);
    if (pending) {
      // The same card moves into a row drawn again: its expanded input and typed reason stay.
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
    if (target instanceof HTMLInputElement && target.classList.contains('jp-ClaudeSessions-select')) {
      if (target.checked) {
        this._selected.add(id);
      } else {
        this._selected.delete(id);
      }
      this._renderRows();
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
    this._busy.add(id);
    this._renderRows();
    try {
      await this.commands.execute(command, { id });
    } finally {
      this._busy.delete(id);
      this._renderRows();
    }
  }

  /** Show how many tasks are selected, and the Run selected bar when any is. */
  private _renderSelection(): void {
    const known = new Set(this.model.rows.filter(row => row.valid).map(row => row.id));
    for (const id of [...this._selected]) {
      if (!known.has(id)) {
        this._selected.delete(id);
      }
    }
    const count = this._selected.size;
    this._selection.hidden = count === 0;
    this._selectionCount.textContent = `${count} selected`;
  }

  /** Start every selected task at once (queued on the server), then clear the selection. */
  private async _runSelected(): Promise<void> {
    const ranks = this.model.naturalRanks;
    const ids = [...this._selected].sort((a, b) => (ranks.get(a) ?? 0) - (ranks.get(b) ?? 0));
    if (!ids.length) {
      return;
    }
    this._selected.clear();
    ids.forEach(id => this._busy.add(id));
    this._renderRows();
    try {
      await this.commands.execute(CommandIDs.startMany, { ids });
    } finally {
      ids.forEach(id => this._busy.delete(id));
      this._renderRows();
    }
  }

  private _connection: HTMLElement;
  private _banner: HTMLElement;
  private _filter: HTMLInputElement;
  private _list: HTMLDivElement;
  private _virtual: VirtualList<ListItem>;
  private _groupButton: HTMLButtonElement;
  private _groupByState = false;
  private _stale = true;
  private _empty: HTMLElement;
  private _problems: HTMLDetailsElement;
  /** Rows whose command is running (their buttons are disabled meanwhile). */
  private _busy = new Set<string>();
  /** The approval card of each task with a pending request, by task id. */
  private _cards = new Map<string, ApprovalCard>();
  /** The tasks ticked for Run selected. */
  private _selected = new Set<string>();
  private _selection: HTMLElement;
  private _selectionCount: HTMLElement;
  private _interval = 0;
}

/** A row's figures: its place in the launch queue, its limit's reset, what it has cost so far. */
function figures(row: IRow): HTMLElement[] {
  const session = row.session;
  const shown: HTMLElement[] = [];
  if (session?.state === 'queued' && session.queue?.position) {
    shown.push(span('jp-ClaudeSessions-queue', `#${session.queue.position} in queue`));
  }
  if (session?.state === 'limited' && session.limit) {
    const limit = span('jp-ClaudeSessions-limit', limitLine(session.limit));
    limit.title = session.limit.reason;
    shown.push(limit);
  }
  const usage = usageLine(session?.usage);
  if (usage) {
    const node = span('jp-ClaudeSessions-usage', usage);
    node.title = usageTooltip(session?.usage);
    shown.push(node);
  }
  return shown;
}

/** Where a state's group sorts: the vocabulary's order (waiting first), then unknown, invalid. */
function groupRank(state: string): number {
  const index = STATES.findIndex(known => known.name === state);
  if (index >= 0) {
    return index;
  }
  return state === 'invalid' ? STATES.length + 1 : STATES.length;
}

/** A group heading: the state's icon and words ("waiting for you"). */
function groupText(state: string, badgeText: string): string {
  if (state === 'exited') {
    const words = stateWords(state);
    return `${words.icon} ${words.label}`;
  }
  return badgeText;
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

