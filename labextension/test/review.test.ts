/**
 * Review as pure functions: a task's conflicts and their words, a patch cut
 * into its files, and the kind of each patch line.
 */
import { describe, expect, it } from 'vitest';

import type { IConflictsReply, IFileChange } from '../src/api';
import {
  BASE,
  conflictBadge,
  conflictsOf,
  conflictText,
  countsText,
  fileLabel,
  lineKinds,
  splitPatch,
  statusLetter,
  totals
} from '../src/review';

const REPORT: IConflictsReply = {
  conflicts: [
    { tasks: ['a', 'b'], files: ['f.txt'], base: false },
    { tasks: ['a', BASE], files: ['g.txt', 'h.txt'], base: true },
    { tasks: ['c', 'd'], files: ['x'], base: false }
  ],
  checked_at: '2026-11-29T10:00:00Z',
  base: 'main'
};

function change(overrides: Partial<IFileChange> = {}): IFileChange {
  return {
    path: 'f.txt',
    status: 'modified',
    added: 3,
    deleted: 1,
    old_path: null,
    binary: false,
    ...overrides
  };
}

describe('conflicts', () => {
  it('finds the other side of each conflict of a task', () => {
    expect(conflictsOf(REPORT, 'a')).toEqual([
      { other: 'b', files: ['f.txt'] },
      { other: BASE, files: ['g.txt', 'h.txt'] }
    ]);
    expect(conflictsOf(REPORT, 'b')).toEqual([{ other: 'a', files: ['f.txt'] }]);
    expect(conflictsOf(REPORT, 'z')).toEqual([]);
    expect(conflictsOf(null, 'a')).toEqual([]);
  });

  it('names the other task and the files', () => {
    expect(conflictText(conflictsOf(REPORT, 'a'), 'main')).toBe(
      'Conflicts with task b in f.txt; with the base (main) in g.txt, h.txt'
    );
    expect(conflictText([], 'main')).toBe('');
    expect(conflictBadge(conflictsOf(REPORT, 'a'))).toBe('⚠ b +1');
    expect(conflictBadge([{ other: BASE, files: ['x'] }])).toBe('⚠ base');
    expect(conflictBadge([])).toBe('');
  });
});

describe('patches', () => {
  const patch =
    'diff --git a/b.bin b/b.bin\nnew file mode 100644\nindex 0000000..88768ef\n' +
    'Binary files /dev/null and b/b.bin differ\n' +
    'diff --git a/f.txt b/f.txt\nindex f00c965..33011fd 100644\n--- a/f.txt\n+++ b/f.txt\n' +
    '@@ -2,3 +2,3 @@\n 2\n-3\n+three\n--- not a header\n';

  it('is cut into one piece per file, in order', () => {
    const pieces = splitPatch(patch);
    expect(pieces).toHaveLength(2);
    expect(pieces[0]).toBe(
      'diff --git a/b.bin b/b.bin\nnew file mode 100644\nindex 0000000..88768ef\n' +
        'Binary files /dev/null and b/b.bin differ'
    );
    expect(pieces[1].startsWith('diff --git a/f.txt b/f.txt\n')).toBe(true);
    expect(splitPatch('')).toEqual([]);
  });

  it('tells headers, hunks, added and deleted lines apart', () => {
    const kinds = lineKinds(splitPatch(patch)[1]).map(line => line.kind);
    expect(kinds).toEqual([
      'header',
      'header',
      'header',
      'header',
      'hunk',
      'context',
      'deleted',
      'added',
      'deleted' // "--- not a header" inside a hunk is a deleted line
    ]);
  });
});

describe('files', () => {
  it('shows letters, counts and renames as git does', () => {
    expect(statusLetter('untracked')).toBe('?');
    expect(statusLetter('renamed')).toBe('R');
    expect(countsText(change())).toBe('+3 −1');
    expect(countsText(change({ binary: true, added: null, deleted: null }))).toBe('binary');
    expect(fileLabel(change({ path: 'new.txt', old_path: 'old.txt' }))).toBe('old.txt → new.txt');
    expect(totals([change(), change({ added: 2, deleted: 5 }), change({ added: null, deleted: null })])).toEqual({
      added: 5,
      deleted: 6
    });
  });
});
