/**
 * Review, as pure functions of the server's JSON: which tasks a task
 * conflicts with (and the words for it), a patch cut into its files, and how
 * each patch line is shown. Shared by the sidebar's ⚠ badge and the Changes
 * tab; unit-tested without a DOM.
 */
import type { IConflictsReply, IFileChange } from './api';

/** How the base appears among a conflict's tasks. */
export const BASE = 'BASE';

/** The mark of a task in a conflict, everywhere. */
export const CONFLICT_MARK = '⚠';

/** One conflict of a task: the other side (a task id or BASE) and the files. */
export interface ITaskConflict {
  other: string;
  files: string[];
}

/** The conflicts a task is in, in the server's order. */
export function conflictsOf(report: IConflictsReply | null, id: string): ITaskConflict[] {
  if (!report) {
    return [];
  }
  const found: ITaskConflict[] = [];
  for (const conflict of report.conflicts) {
    const [a, b] = conflict.tasks;
    if (a === id || b === id) {
      found.push({ other: a === id ? b : a, files: conflict.files });
    }
  }
  return found;
}

/** "task b", or "the base (main)". */
export function sideName(other: string, base: string | null): string {
  return other === BASE ? `the base (${base ?? 'HEAD'})` : `task ${other}`;
}

/** "Conflicts with task b in f.txt; with the base (main) in g.txt, h.txt", or "". */
export function conflictText(conflicts: ITaskConflict[], base: string | null): string {
  if (!conflicts.length) {
    return '';
  }
  const parts = conflicts.map(c => `with ${sideName(c.other, base)} in ${c.files.join(', ')}`);
  return `Conflicts ${parts.join('; ')}`;
}

/** The short form on a badge: "⚠ b" or "⚠ b +1". */
export function conflictBadge(conflicts: ITaskConflict[]): string {
  if (!conflicts.length) {
    return '';
  }
  const first = conflicts[0].other === BASE ? 'base' : conflicts[0].other;
  const more = conflicts.length > 1 ? ` +${conflicts.length - 1}` : '';
  return `${CONFLICT_MARK} ${first}${more}`;
}

/** A patch cut at each "diff --git" line: one piece per file, in the order of the files. */
export function splitPatch(patch: string): string[] {
  const pieces: string[][] = [];
  for (const line of patch.replace(/\n$/, '').split('\n')) {
    if (line.startsWith('diff --git ')) {
      pieces.push([line]);
    } else if (pieces.length) {
      pieces[pieces.length - 1].push(line);
    }
  }
  return pieces.map(lines => lines.join('\n'));
}

/** How a patch line is shown. */
export type LineKind = 'header' | 'hunk' | 'added' | 'deleted' | 'context';

/** The kind of each line of a file's patch (its header lines up to the first hunk). */
export function lineKinds(piece: string): { text: string; kind: LineKind }[] {
  let header = true;
  return piece.split('\n').map(text => {
    if (text.startsWith('diff --git ')) {
      header = true;
    } else if (text.startsWith('@@')) {
      header = false;
      return { text, kind: 'hunk' as const };
    }
    if (header) {
      return { text, kind: 'header' as const };
    }
    if (text.startsWith('+')) {
      return { text, kind: 'added' as const };
    }
    if (text.startsWith('-')) {
      return { text, kind: 'deleted' as const };
    }
    return { text, kind: 'context' as const };
  });
}

/** A status as one letter, as git prints it ("?" for untracked). */
export function statusLetter(status: string): string {
  const letters: Record<string, string> = {
    added: 'A',
    modified: 'M',
    deleted: 'D',
    renamed: 'R',
    copied: 'C',
    'type changed': 'T',
    untracked: '?'
  };
  return letters[status] ?? status.slice(0, 1).toUpperCase();
}

/** "+3 −1", or "binary". */
export function countsText(change: IFileChange): string {
  if (change.binary) {
    return 'binary';
  }
  if (change.added === null) {
    return '';
  }
  return `+${change.added} −${change.deleted ?? 0}`;
}

/** Lines added and deleted over all files. */
export function totals(files: IFileChange[]): { added: number; deleted: number } {
  return files.reduce(
    (sum, f) => ({ added: sum.added + (f.added ?? 0), deleted: sum.deleted + (f.deleted ?? 0) }),
    { added: 0, deleted: 0 }
  );
}

/** "old.txt → new.txt" for a rename, else the path. */
export function fileLabel(change: IFileChange): string {
  return change.old_path ? `${change.old_path} → ${change.path}` : change.path;
}
