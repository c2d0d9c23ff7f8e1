/**
 * The task board: a main area tab with one column per board column (the
 * server's `board_columns`, and "Other" first when a status matches none),
 * a card per task file (id, title, priority, live session badge, and a
 * pending request, conflicts or usage where those exist), a filter box (id,
 * title, status and session state here; body text asked of the server) and a
 * "New task" button. Cards move by drag and drop or with the keyboard's
 * "Move to…" menu; opening a card opens its task view.
 *
 * Each column draws only the cards in view (virtuallist.ts): 10,000 tasks
 * cost what a screenful does. The column rules are board.ts's, the same as
 * the server's.
 */
import { refreshIcon } from '@jupyterlab/ui-components';
import { CommandRegistry } from '@lumino/commands';
import { Message } from '@lumino/messaging';
import { Menu, Widget } from '@lumino/widgets';

import { ITask } from './api';
import { badgeForRow } from './badges';
import { columnOf, OTHER, priorityRank } from './board';
import { cardSignature, ICard, openMoveMenu, renderCard } from './boardcard';
import { div, span } from './dom';
import { CommandIDs } from './ids';
import { ClaudeModel, IRow } from './model';
import { VirtualList } from './virtuallist';

/** The height of a card, gaps included (the CSS draws it so). */
export const CARD_HEIGHT = 100;

/** The drag data type of a card. */
const DRAG_TYPE = 'application/x-jupyter-claude-task';

/** How long the filter waits after a key before asking the server to search bodies. */
const SEARCH_DELAY = 250;


/** One column on screen. */
interface IColumnView {
  name: string;
  node: HTMLElement;
  count: HTMLElement;
  empty: HTMLElement;
  list: VirtualList<ICard>;
}

/** The board's content. */
export class ClaudeBoard extends Widget {
  constructor(
    private readonly model: ClaudeModel,
    private readonly commands: CommandRegistry
  ) {
    super();
    this.addClass('jp-ClaudeBoard');

    const bar = div('jp-ClaudeBoard-bar');
    this._filter = document.createElement('input');
    this._filter.type = 'search';
    this._filter.className = 'jp-ClaudeBoard-filter jp-mod-styled';
    this._filter.placeholder = 'Filter by id, title, body, status or session state';
    this._filter.setAttribute('aria-label', 'Filter cards');
    this._filter.oninput = () => this._onFilter();
    const create = document.createElement('button');
    create.className = 'jp-ClaudeBoard-new jp-mod-styled jp-mod-accept';
    create.dataset.action = 'new-task';
    create.textContent = 'New task';
    create.onclick = () => void this.commands.execute(CommandIDs.newTask);
    const refresh = document.createElement('button');
    refresh.className = 'jp-ClaudeBoard-refresh';
    refresh.title = 'Read the task files again';
    refresh.setAttribute('aria-label', refresh.title);
    refreshIcon.element({ container: refresh, tag: 'span' });
    refresh.onclick = () => void this.model.refresh();
    this._summary = div('jp-ClaudeBoard-summary');
    this._summary.setAttribute('role', 'status');
    bar.append(this._filter, create, refresh, this._summary);

    this._columns = div('jp-ClaudeBoard-columns');
    this._columns.onclick = event => this._onClick(event);
    this._columns.onkeydown = event => this._onKey(event);
    this._columns.ondragstart = event => this._onDragStart(event);
    this._columns.ondragend = () => this._endDrag();
    this.node.append(bar, this._columns);

    model.changed.connect(this._scheduleRender, this);
  }

  /** The filter's text. */
  get filter(): string {
    return this._filter.value;
  }

  set filter(value: string) {
    this._filter.value = value;
    this._onFilter();
  }

  /** Scroll a card into view and focus it; false when no card has that id. */
  focusCard(id: string): boolean {
    for (const column of this._views.values()) {
      if (column.list.scrollTo(`card:${id}`)) {
        column.list.nodeOf(`card:${id}`)?.focus();
        return true;
      }
    }
    return false;
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    window.clearTimeout(this._searchTimer);
    cancelAnimationFrame(this._frame);
    this._menu?.dispose();
    for (const column of this._views.values()) {
      column.list.dispose();
    }
    this.model.changed.disconnect(this._scheduleRender, this);
    super.dispose();
  }

  protected onAfterAttach(msg: Message): void {
    super.onAfterAttach(msg);
    void this.model.loadBoard();
    this._render();
  }

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    this._render(); // also what changed while hidden
    void this.model.refresh();
  }

  protected onActivateRequest(msg: Message): void {
    super.onActivateRequest(msg);
    this._filter.focus();
  }

  private _scheduleRender(): void {
    if (!this._frame) {
      this._frame = requestAnimationFrame(() => {
        this._frame = 0;
        this._render();
      });
    }
  }

  /** Sort every task into its column and draw the cards in view. */
  private _render(): void {
    if (this.isDisposed) {
      return;
    }
    if (!this.isVisible) {
      return; // drawn when shown (onAfterShow): a hidden tab costs nothing per event
    }
    // A card drawn again (moved, changed) keeps the keyboard focus it had.
    const active = document.activeElement;
    const focused = this.node.contains(active) ? this._cardOf(active)?.dataset.taskId : undefined;
    this._draw();
    if (focused && !this._cardOf(document.activeElement)) {
      this.focusCard(focused);
    }
  }

  private _draw(): void {
    const board = this.model.board;
    const tasks = this.model.tasks;
    if (board.columns.join('\n') !== this._columnsKey) {
      this._columnsKey = board.columns.join('\n');
      this._columnCache.clear();
    }
    const needle = this._filter.value.trim().toLowerCase();
    const byColumn = new Map<string, ICard[]>(board.columns.map(name => [name, []]));
    const other: ICard[] = [];
    for (const task of tasks) {
      if (task.path === null) {
        continue;
      }
      const row = this.model.row(task.id);
      if (needle && !this._matches(task, row, needle)) {
        continue;
      }
      const column = this._columnOf(task.status, board.columns);
      const card = { task, row, column, conflicts: this.model.conflictsFor(task.id) };
      (byColumn.get(column) ?? other).push(card);
    }
    const shown = other.length ? [[OTHER, other] as const, ...byColumn] : [...byColumn];
    const ranks = this.model.naturalRanks;
    let total = 0;
    const wanted = new Set<string>();
    let cursor = this._columns.firstElementChild;
    for (const [name, cards] of shown) {
      cards.sort(
        (a, b) =>
          this._priorityRank(a.task.priority) - this._priorityRank(b.task.priority) ||
          ranks.get(a.task.id)! - ranks.get(b.task.id)!
      );
      total += cards.length;
      const view = this._views.get(name) ?? this._makeColumn(name, name === OTHER);
      wanted.add(name);
      if (view.node === cursor) {
        cursor = cursor.nextElementSibling;
      } else {
        this._columns.insertBefore(view.node, cursor);
      }
      view.count.textContent = String(cards.length);
      view.empty.hidden = cards.length > 0;
      view.list.setItems(cards);
    }
    for (const [name, view] of this._views) {
      if (!wanted.has(name)) {
        view.list.dispose();
        view.node.remove();
        this._views.delete(name);
      }
    }
    const searching = needle && this._bodyMatches?.needle !== needle ? ' (searching bodies…)' : '';
    this._summary.textContent = this.model.loaded
      ? `${total} of ${tasks.filter(task => task.path !== null).length} tasks${searching}`
      : 'Loading…';
  }

  private _makeColumn(name: string, other: boolean): IColumnView {
    const node = div('jp-ClaudeBoard-column');
    node.dataset.column = name;
    node.setAttribute('role', 'group');
    node.setAttribute('aria-label', `Column ${name}`);
    if (other) {
      node.classList.add('jp-mod-other');
      node.title = 'Tasks whose status matches no column';
    }
    const header = div('jp-ClaudeBoard-columnHeader');
    const title = span('jp-ClaudeBoard-columnName', name);
    const count = span('jp-ClaudeBoard-columnCount', '0');
    header.append(title, count);
    const scroller = div('jp-ClaudeBoard-cards');
    scroller.setAttribute('role', 'list');
    const empty = div('jp-ClaudeBoard-empty');
    empty.textContent = other ? '' : 'No tasks';
    node.append(header, empty, scroller);
    if (!other) {
      node.ondragover = event => this._onDragOver(event, node);
      node.ondragleave = event => {
        if (!node.contains(event.relatedTarget as Node | null)) {
          node.classList.remove('jp-mod-dropTarget');
        }
      };
      node.ondrop = event => this._onDrop(event, name, node);
    }
    const list = new VirtualList<ICard>({
      scroller,
      spacerClass: 'jp-ClaudeBoard-spacer',
      height: () => CARD_HEIGHT,
      key: card => `card:${card.task.id}`,
      signature: card => cardSignature(card, this._moving.has(card.task.id)),
      render: card => renderCard(card, this._moving.has(card.task.id))
    });
    const view = { name, node, count, empty, list };
    this._views.set(name, view);
    return view;
  }

  private _matches(task: ITask, row: IRow | null, needle: string): boolean {
    let text = this._haystacks.get(task);
    if (text === undefined) {
      text = [task.id, task.title, task.status ?? '', task.priority ?? ''].join('\n').toLowerCase();
      this._haystacks.set(task, text);
    }
    if (text.includes(needle)) {
      return true;
    }
    const badge = badgeForRow(row ?? { valid: task.valid, session: null, unknownReason: null });
    if (badge.label.toLowerCase().includes(needle) || badge.state.includes(needle)) {
      return true;
    }
    return this._bodyMatches?.needle === needle && this._bodyMatches.ids.has(task.id);
  }

  private _columnOf(status: string | null, columns: readonly string[]): string {
    const key = status ?? '\u0000none';
    let column = this._columnCache.get(key);
    if (column === undefined) {
      column = columnOf(status, columns);
      this._columnCache.set(key, column);
    }
    return column;
  }

  private _priorityRank(priority: string | null): number {
    const key = priority ?? '';
    let rank = this._priorityCache.get(key);
    if (rank === undefined) {
      rank = priorityRank(priority);
      this._priorityCache.set(key, rank);
    }
    return rank;
  }

  /** The filter changed: cards by what is here now, and the server asked about bodies shortly. */
  private _onFilter(): void {
    this._render();
    window.clearTimeout(this._searchTimer);
    const needle = this._filter.value.trim().toLowerCase();
    if (!needle) {
      this._bodyMatches = null;
      return;
    }
    this._searchTimer = window.setTimeout(async () => {
      try {
        const reply = await this.model.api.listTasks({ fields: ['id'], q: needle });
        if (this._filter.value.trim().toLowerCase() === needle) {
          this._bodyMatches = { needle, ids: new Set(reply.tasks.map(task => task.id)) };
          this._render();
        }
      } catch (error) {
        console.warn('jupyter-claude: the body search failed', error);
      }
    }, SEARCH_DELAY);
  }

  private _cardOf(target: EventTarget | null): HTMLElement | null {
    return (target as HTMLElement | null)?.closest<HTMLElement>('.jp-ClaudeBoard-card') ?? null;
  }

  private _onClick(event: MouseEvent): void {
    const card = this._cardOf(event.target);
    const id = card?.dataset.taskId;
    if (!card || !id) {
      return;
    }
    if ((event.target as HTMLElement).closest('button[data-action="move"]')) {
      this._openMoveMenu(card, id);
      return;
    }
    if (!card.classList.contains('jp-mod-invalid')) {
      void this.commands.execute(CommandIDs.openTask, { id });
    }
  }

  private _onKey(event: KeyboardEvent): void {
    const card = this._cardOf(event.target);
    const id = card?.dataset.taskId;
    if (!card || !id || card.classList.contains('jp-mod-invalid')) {
      return;
    }
    const onCard = event.target === card;
    if (onCard && event.key === 'Enter') {
      event.preventDefault();
      void this.commands.execute(CommandIDs.openTask, { id });
    } else if (event.key === 'ContextMenu' || (event.shiftKey && event.key === 'F10') || (onCard && event.key === 'm')) {
      event.preventDefault();
      this._openMoveMenu(card, id);
    }
  }

  /** The keyboard way to move a card: a menu of the other columns. */
  private _openMoveMenu(card: HTMLElement, id: string): void {
    const button = card.querySelector<HTMLElement>('button[data-action="move"]') ?? card;
    this._menu?.dispose();
    this._menu = openMoveMenu(this.commands, this.model, id, button, () => {
      // Focus goes back to the card (it may have been drawn again, or moved, meanwhile).
      if (!this.isDisposed && !this.focusCard(id)) {
        this._filter.focus();
      }
    });
  }

  private _onDragStart(event: DragEvent): void {
    const card = this._cardOf(event.target);
    const id = card?.dataset.taskId;
    if (!card || !id || !event.dataTransfer) {
      return;
    }
    event.dataTransfer.setData(DRAG_TYPE, id);
    event.dataTransfer.setData('text/plain', id);
    event.dataTransfer.effectAllowed = 'move';
    card.classList.add('jp-mod-dragging');
    this._dragging = id;
  }

  private _onDragOver(event: DragEvent, node: HTMLElement): void {
    if (this._dragging === null && !event.dataTransfer?.types.includes(DRAG_TYPE)) {
      return;
    }
    event.preventDefault();
    if (event.dataTransfer) {
      event.dataTransfer.dropEffect = 'move';
    }
    node.classList.add('jp-mod-dropTarget');
  }

  private _onDrop(event: DragEvent, column: string, node: HTMLElement): void {
    event.preventDefault();
    node.classList.remove('jp-mod-dropTarget');
    const id = event.dataTransfer?.getData(DRAG_TYPE) || this._dragging;
    this._endDrag();
    if (!id) {
      return;
    }
    const current = this._columnOf(this.model.task(id)?.status ?? null, this.model.board.columns);
    if (current !== column) {
      void this._move(id, column);
    }
  }

  private _endDrag(): void {
    this._dragging = null;
    for (const node of this._columns.querySelectorAll('.jp-mod-dragging, .jp-mod-dropTarget')) {
      node.classList.remove('jp-mod-dragging', 'jp-mod-dropTarget');
    }
  }

  private async _move(id: string, column: string): Promise<void> {
    this._moving.add(id);
    this._render();
    try {
      await this.commands.execute(CommandIDs.moveTask, { id, status: column });
    } finally {
      this._moving.delete(id);
      this._render();
    }
  }

  private _filter: HTMLInputElement;
  private _summary: HTMLElement;
  private _columns: HTMLElement;
  private _views = new Map<string, IColumnView>();
  private _frame = 0;
  private _menu: Menu | null = null;
  private _dragging: string | null = null;
  private _moving = new Set<string>();
  private _columnsKey = '';
  private _columnCache = new Map<string, string>();
  private _priorityCache = new Map<string, number>();
  private _haystacks = new WeakMap<ITask, string>();
  private _bodyMatches: { needle: string; ids: Set<string> } | null = null;
  private _searchTimer = 0;
}

