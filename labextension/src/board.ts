/**
 * The task board's rules, as the server has them (jupyter_claude/core/board.py):
 * which column a status falls in, the order of cards in a column, ids in
 * natural order, and the extra marks a card shows. Pure functions; a table
 * of cases shared with the Python tests (test/board-cases.json) keeps the two
 * equal.
 *
 * A status matches a column loosely: case, the emoji, punctuation and blanks
 * around the words, and the kind of separator between them are ignored. No
 * status: the first column. A status that matches no column: OTHER, shown
 * first.
 */
import type { IUsage } from './api';
import { amount, dollars, totalTokens, usageTooltip } from './usage';
import table from './vocabulary.json';

/** The column of statuses that match none of the board's columns. */
export const OTHER = 'Other';

/** The board's columns when the server does not say (its default setting). */
export const DEFAULT_COLUMNS: readonly string[] = ['To Do', 'In Progress', 'Review', 'Done'];

const WORD = /[\p{L}\p{N}]/u;
/** Runs of these count as one space between words (the same class as board.py's). */
const SEPARATORS = /[\t\n\v\f\r \u00a0_-]+/g;

/** The part of a status or column name that matching looks at: "In progress" → "in progress". */
export function columnKey(text: string): string {
  const characters = Array.from(text);
  let start = 0;
  let end = characters.length;
  while (start < end && !WORD.test(characters[start])) {
    start += 1;
  }
  while (end > start && !WORD.test(characters[end - 1])) {
    end -= 1;
  }
  return characters.slice(start, end).join('').replace(SEPARATORS, ' ').toLowerCase();
}

/** The column a task with `status` is in: one of `columns`, or OTHER. */
export function columnOf(status: string | null | undefined, columns: readonly string[]): string {
  if (status === null || status === undefined || !status.trim()) {
    return columns.length ? columns[0] : OTHER;
  }
  const key = columnKey(status);
  if (key) {
    const found = columns.find(column => columnKey(column) === key);
    if (found !== undefined) {
      return found;
    }
  }
  const stripped = status.trim();
  return columns.find(column => column.trim() === stripped) ?? OTHER;
}

/** 0 for the most urgent priority words, 5 for a priority of other words, 6 for none. */
export function priorityRank(priority: string | null | undefined): number {
  const text = (priority ?? '').toLowerCase();
  for (const { rank, words } of table.priorities) {
    if (words.some(word => text.includes(word))) {
      return rank;
    }
  }
  return text ? 5 : 6;
}

/** Compare two ids as people count: t1, t2, t10, t100 (the server's natural_key). */
export function naturalCompare(a: string, b: string): number {
  return compareParts(naturalParts(a), naturalParts(b));
}

function compareParts(left: Part[], right: Part[]): number {
  for (let index = 0; index < Math.min(left.length, right.length); index++) {
    const order = comparePart(left[index], right[index]);
    if (order !== 0) {
      return order;
    }
  }
  return left.length - right.length;
}

/**
 * Each id's place when `ids` are sorted in natural order (each id is split
 * once, so 10,000 ids sort in milliseconds).
 */
export function naturalRanks(ids: readonly string[]): Map<string, number> {
  const decorated = ids.map(id => ({ id, parts: naturalParts(id) }));
  decorated.sort((a, b) => compareParts(a.parts, b.parts));
  return new Map(decorated.map((entry, rank) => [entry.id, rank]));
}

/** Cards in a column: most urgent priority first, then ids in natural order. */
export function cardCompare(
  a: { id: string; priority: string | null },
  b: { id: string; priority: string | null }
): number {
  return priorityRank(a.priority) - priorityRank(b.priority) || naturalCompare(a.id, b.id);
}

/** A mark on a card beside its badge: a pending request, conflicts, usage. */
export interface ICardMark {
  kind: 'pending' | 'conflicts' | 'usage';
  text: string;
  title: string;
}

/**
 * The marks of a task's row or session, for the fields other features add
 * (`pending`, `conflicts`, `usage`): shown when present, ignored when not.
 */
export function cardMarks(...sources: (object | null | undefined)[]): ICardMark[] {
  const value = (name: string): unknown => {
    for (const source of sources) {
      const found = source ? (source as Record<string, unknown>)[name] : undefined;
      if (found !== undefined && found !== null && found !== false) {
        return found;
      }
    }
    return undefined;
  };
  const marks: ICardMark[] = [];
  const pending = value('pending');
  if (pending !== undefined) {
    const what = describe(pending, ['tool_name', 'tool', 'kind', 'message']);
    marks.push({
      kind: 'pending',
      text: '⚑ request',
      title: what ? `Waiting for your answer: ${what}` : 'A permission request waits for your answer'
    });
  }
  const conflicts = value('conflicts');
  const count = Array.isArray(conflicts)
    ? conflicts.length
    : typeof conflicts === 'number'
      ? conflicts
      : conflicts === true
        ? 1
        : 0;
  if (count > 0) {
    marks.push({
      kind: 'conflicts',
      text: `⚠ ${count} conflict${count > 1 ? 's' : ''}`,
      title: conflictsTitle(conflicts)
    });
  }
  const usage = value('usage');
  if (usage !== undefined) {
    const text = usageText(usage);
    if (text) {
      const title = isUsage(usage) ? usageTooltip(usage) : `Usage: ${describe(usage, []) || text}`;
      marks.push({ kind: 'usage', text, title });
    }
  }
  return marks;
}

/**
 * A conflicts mark's tooltip: for the model's conflicts of a task (`{other,
 * files}`, other a task id or "BASE"), whom it conflicts with and where; for
 * a list of files, the base branch and those files.
 */
function conflictsTitle(conflicts: unknown): string {
  if (!Array.isArray(conflicts) || conflicts.length === 0) {
    return 'Conflicts with the base branch';
  }
  if (conflicts.every(entry => typeof entry === 'object' && entry !== null && 'other' in entry)) {
    const parts = (conflicts as { other: unknown; files?: unknown }[]).map(({ other, files }) => {
      const side = other === 'BASE' ? 'the base' : `task ${String(other)}`;
      const where = Array.isArray(files) && files.length ? ` in ${files.map(String).join(', ')}` : '';
      return `with ${side}${where}`;
    });
    return `Conflicts ${parts.join('; ')}`;
  }
  return `Conflicts with the base branch: ${conflicts.map(String).join(', ')}`;
}

/** "12.3k tok" or "$0.42" from a usage object (or its own text). */
function usageText(usage: unknown): string {
  if (typeof usage === 'string' || typeof usage === 'number') {
    return String(usage);
  }
  if (typeof usage !== 'object' || usage === null) {
    return '';
  }
  if (isUsage(usage)) {
    // The server's usage (Session.usage): its cost, or its tokens when a model has no price.
    return usage.cost !== null ? dollars(usage.cost) : `${amount(totalTokens(usage))} tok`;
  }
  const record = usage as Record<string, unknown>;
  const cost = record.cost_usd ?? record.cost;
  if (typeof cost === 'number') {
    return `$${cost.toFixed(2)}`;
  }
  const tokens = ['input_tokens', 'output_tokens', 'cache_creation_input_tokens', 'cache_read_input_tokens']
    .map(name => record[name])
    .filter((part): part is number => typeof part === 'number')
    .reduce((sum, part) => sum + part, typeof record.tokens === 'number' ? record.tokens : 0);
  return tokens > 0 ? `${compact(tokens)} tok` : '';
}

/** Whether a value is the server's usage shape (Session.usage). */
function isUsage(value: unknown): value is IUsage {
  const record = value as Record<string, unknown> | null;
  return typeof record === 'object' && record !== null && typeof record.turns === 'number' && 'cache_write_tokens' in record;
}

function compact(value: number): string {
  if (value >= 1e6) {
    return `${(value / 1e6).toFixed(1)}M`;
  }
  if (value >= 1e3) {
    return `${(value / 1e3).toFixed(1)}k`;
  }
  return String(value);
}

/** A short description of a value: one of `names` when it is an object, else its text. */
function describe(value: unknown, names: string[]): string {
  if (typeof value === 'string' || typeof value === 'number') {
    return String(value);
  }
  if (typeof value === 'object' && value !== null) {
    const record = value as Record<string, unknown>;
    for (const name of names) {
      if (typeof record[name] === 'string' && record[name]) {
        return record[name] as string;
      }
    }
    try {
      return JSON.stringify(value).slice(0, 200);
    } catch {
      return '';
    }
  }
  return '';
}

type Part = { digits: string } | { text: string };

function naturalParts(text: string): Part[] {
  return text
    .split(/(\d+)/)
    .filter(part => part !== '')
    .map(part => (/^\d+$/.test(part) && part.length < 50 ? { digits: part } : { text: part.toLowerCase() }));
}

function comparePart(a: Part, b: Part): number {
  if ('digits' in a && 'digits' in b) {
    const left = a.digits.replace(/^0+(?=\d)/, '');
    const right = b.digits.replace(/^0+(?=\d)/, '');
    return left.length - right.length || (left < right ? -1 : left > right ? 1 : 0);
  }
  if ('digits' in a) {
    return -1;
  }
  if ('digits' in b) {
    return 1;
  }
  return a.text < b.text ? -1 : a.text > b.text ? 1 : 0;
}
