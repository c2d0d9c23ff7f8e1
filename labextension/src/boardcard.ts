/**
 * A task board card (its DOM and the signature that says when to draw it
 * again) and the "Move to…" menu the board and the task view share.
 */
import { CommandRegistry } from '@lumino/commands';
import { Menu } from '@lumino/widgets';

import { ITask } from './api';
import { badgeForRow } from './badges';
import { cardMarks, columnOf, OTHER, priorityRank } from './board';
import { div, span } from './dom';
import { CommandIDs } from './ids';
import { ClaudeModel, IRow } from './model';
import { ITaskConflict } from './review';

/** A card: a task file, its row (session), the column it is in, and the task's conflicts. */
export interface ICard {
  task: ITask;
  row: IRow | null;
  column: string;
  conflicts?: ITaskConflict[];
}

/** Changes whenever the card must be drawn again. */
export function cardSignature(card: ICard, moving: boolean): string {
  const { task, row } = card;
  const badge = badgeForRow(row ?? { valid: task.valid, session: null, unknownReason: null });
  const marks = cardMarks(row, row?.session, { conflicts: card.conflicts });
  return JSON.stringify([
    task.title,
    task.status,
    task.priority,
    task.version,
    card.column,
    badge.text,
    marks,
    moving
  ]);
}

/** A card's DOM: id, priority, title, badge, marks, and its "Move to…" button. */
export function renderCard(card: ICard, moving: boolean): HTMLElement {
  const { task, row } = card;
  const badge = badgeForRow(row ?? { valid: task.valid, session: null, unknownReason: null });
  const node = div('jp-ClaudeBoard-card');
  node.dataset.taskId = task.id;
  node.dataset.state = badge.state;
  node.setAttribute('role', 'listitem');
  node.tabIndex = 0;
  node.setAttribute('aria-label', `${task.id}: ${task.title}, ${badge.label}`);
  node.title = [task.title, task.status ? `Status: ${task.status}` : '', task.path ?? '']
    .filter(Boolean)
    .join('\n');
  if (task.valid) {
    node.draggable = true;
  } else {
    node.classList.add('jp-mod-invalid');
  }
  if (moving) {
    node.classList.add('jp-mod-moving');
  }

  const head = div('jp-ClaudeBoard-cardHead');
  head.append(span('jp-ClaudeBoard-cardId', task.id));
  if (task.priority) {
    const priority = span('jp-ClaudeBoard-priority', task.priority);
    priority.dataset.rank = String(priorityRank(task.priority));
    head.append(priority);
  }
  const title = div('jp-ClaudeBoard-cardTitle');
  title.textContent = task.title;
  const foot = div('jp-ClaudeBoard-cardFoot');
  const badgeNode = span('jp-ClaudeBoard-badge', badge.text);
  badgeNode.dataset.state = badge.state;
  foot.append(badgeNode);
  for (const mark of cardMarks(row, row?.session, { conflicts: card.conflicts })) {
    const markNode = span(`jp-ClaudeBoard-mark jp-mod-${mark.kind}`, mark.text);
    markNode.dataset.mark = mark.kind;
    markNode.title = mark.title;
    foot.append(markNode);
  }
  if (card.column === OTHER && task.status) {
    foot.append(span('jp-ClaudeBoard-status', task.status));
  }
  if (task.valid) {
    const move = document.createElement('button');
    move.className = 'jp-ClaudeBoard-move';
    move.dataset.action = 'move';
    move.textContent = 'Move to…';
    move.setAttribute('aria-haspopup', 'menu');
    move.setAttribute('aria-label', `Move ${task.id} to…`);
    foot.append(move);
  }
  node.append(head, title, foot);
  return node;
}


/**
 * Open the "Move to…" menu of a task under `anchor`: one item per other board
 * column, keyboard-ready (its first item active). `onClose` runs on the next
 * frame after it closes, to put the focus back.
 */
export function openMoveMenu(
  commands: CommandRegistry,
  model: ClaudeModel,
  id: string,
  anchor: HTMLElement,
  onClose: () => void
): Menu {
  const menu = new Menu({ commands });
  menu.addClass('jp-ClaudeBoard-moveMenu');
  menu.title.label = `Move ${id} to`;
  const columns = model.board.columns;
  const current = columnOf(model.task(id)?.status ?? null, columns);
  for (const column of columns) {
    if (column !== current) {
      menu.addItem({ command: CommandIDs.moveTask, args: { id, status: column } });
    }
  }
  menu.aboutToClose.connect(() => requestAnimationFrame(onClose));
  const box = anchor.getBoundingClientRect();
  menu.open(box.left, box.bottom);
  menu.activeIndex = 0;
  return menu;
}

