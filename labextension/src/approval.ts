/**
 * Permission requests, the pure part: how a request's input is shown (a
 * command, a file and its content, a diff for edits, else JSON), a simple
 * line diff, how many requests are pending, and what a failed answer says.
 * The approval card (./approvalcard) draws what these decide.
 */
import { ClaudeAPIError, IPendingSummary, ISession } from './api';

/** One line of a diff: kept (" "), removed ("-") or added ("+"). */
export interface IDiffLine {
  op: ' ' | '-' | '+';
  text: string;
}

/** How a tool's input is shown when the card is expanded. */
export type InputView =
  | { kind: 'command'; command: string; description: string }
  | { kind: 'file'; path: string; content: string }
  | { kind: 'diff'; path: string; hunks: IDiffLine[][]; replaceAll: boolean }
  | { kind: 'json'; text: string };

/** The view of a tool's input: what the tool does, in the form a person checks it in. */
export function describeInput(tool: string, input: unknown): InputView {
  const fields = isObject(input) ? input : {};
  if (tool === 'Bash' && typeof fields.command === 'string') {
    return {
      kind: 'command',
      command: fields.command,
      description: typeof fields.description === 'string' ? fields.description : ''
    };
  }
  if (tool === 'Write' && typeof fields.file_path === 'string' && typeof fields.content === 'string') {
    return { kind: 'file', path: fields.file_path, content: fields.content };
  }
  if (tool === 'Edit' && typeof fields.file_path === 'string' && isEdit(fields)) {
    return {
      kind: 'diff',
      path: fields.file_path,
      hunks: [lineDiff(fields.old_string, fields.new_string)],
      replaceAll: fields.replace_all === true
    };
  }
  if (
    tool === 'MultiEdit' &&
    typeof fields.file_path === 'string' &&
    Array.isArray(fields.edits) &&
    fields.edits.length > 0 &&
    fields.edits.every(isEdit)
  ) {
    const edits = fields.edits as { old_string: string; new_string: string }[];
    return {
      kind: 'diff',
      path: fields.file_path,
      hunks: edits.map(edit => lineDiff(edit.old_string, edit.new_string)),
      replaceAll: false
    };
  }
  return { kind: 'json', text: JSON.stringify(input ?? null, null, 2) };
}

/** Above this many line pairs the diff is not searched: all old lines out, all new lines in. */
const DIFF_LIMIT = 250_000;

/** A line diff of two texts (longest common subsequence), old lines before new ones. */
export function lineDiff(before: string, after: string): IDiffLine[] {
  const a = splitLines(before);
  const b = splitLines(after);
  // Common head and tail are kept as they are; only the middle is searched.
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) {
    head++;
  }
  let tail = 0;
  while (
    tail < a.length - head &&
    tail < b.length - head &&
    a[a.length - 1 - tail] === b[b.length - 1 - tail]
  ) {
    tail++;
  }
  const x = a.slice(head, a.length - tail);
  const y = b.slice(head, b.length - tail);
  const lines: IDiffLine[] = a.slice(0, head).map(text => ({ op: ' ', text }));
  if (x.length * y.length > DIFF_LIMIT) {
    lines.push(...x.map(text => ({ op: '-' as const, text })));
    lines.push(...y.map(text => ({ op: '+' as const, text })));
  } else {
    lines.push(...middleDiff(x, y));
  }
  lines.push(...a.slice(a.length - tail).map(text => ({ op: ' ' as const, text })));
  return lines;
}

/** How many rows wait on a permission request. */
export function pendingCount(rows: readonly { session: ISession | null }[]): number {
  return rows.filter(row => row.session?.pending).length;
}

/** The pending request of a session (null when none, or from a server that sends none). */
export function pendingOf(session: ISession | null | undefined): IPendingSummary | null {
  return session?.pending ?? null;
}

/** The verb a card's header uses for a tool: "run", "write", "edit", else "use". */
export function toolVerb(tool: string): string {
  switch (tool) {
    case 'Bash':
      return 'run';
    case 'Write':
      return 'write';
    case 'Edit':
    case 'MultiEdit':
    case 'NotebookEdit':
      return 'edit';
    case 'WebFetch':
      return 'fetch';
    default:
      return 'use';
  }
}

/** What the card says when an answer failed; `elsewhere` when someone answered first. */
export function answerFailure(error: unknown): { elsewhere: boolean; text: string } {
  if (error instanceof ClaudeAPIError && error.status === 409) {
    return { elsewhere: true, text: 'answered elsewhere' };
  }
  if (error instanceof ClaudeAPIError) {
    return { elsewhere: false, text: error.reason };
  }
  return { elsewhere: false, text: String((error as Error)?.message ?? error) };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isEdit(
  value: unknown
): value is Record<string, unknown> & { old_string: string; new_string: string } {
  return (
    isObject(value) && typeof value.old_string === 'string' && typeof value.new_string === 'string'
  );
}

/** Lines of a text; a final newline does not make an empty last line ("" has none). */
function splitLines(text: string): string[] {
  if (text === '') {
    return [];
  }
  const lines = text.split(/\r?\n/);
  if (lines[lines.length - 1] === '') {
    lines.pop();
  }
  return lines;
}

/** The LCS table walked from the front: removals before additions at each change. */
function middleDiff(x: string[], y: string[]): IDiffLine[] {
  const n = x.length;
  const m = y.length;
  // common[i][j]: the longest common subsequence of x[i:] and y[j:].
  const common: Uint32Array[] = [];
  for (let i = 0; i <= n; i++) {
    common.push(new Uint32Array(m + 1));
  }
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      common[i][j] =
        x[i] === y[j] ? common[i + 1][j + 1] + 1 : Math.max(common[i + 1][j], common[i][j + 1]);
    }
  }
  const lines: IDiffLine[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && x[i] === y[j]) {
      lines.push({ op: ' ', text: x[i] });
      i++;
      j++;
    } else if (j >= m || (i < n && common[i + 1][j] >= common[i][j + 1])) {
      lines.push({ op: '-', text: x[i] });
      i++;
    } else {
      lines.push({ op: '+', text: y[j] });
      j++;
    }
  }
  return lines;
}
