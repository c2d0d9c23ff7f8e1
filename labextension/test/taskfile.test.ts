/** Which task a markdown file is: front matter, the server's listing, the file stem. */
import { describe, expect, it, vi } from 'vitest';

import type { IRow } from '../src/model';
import { frontMatterId, stemId, taskIdForFile, taskIdForText } from '../src/taskfile';

/** A model that lists `paths` (path → id) and has rows with `ids`. */
function lookup(paths: Record<string, string> = {}, ids: string[] = []) {
  return {
    idForPath: (path: string) => paths[path] ?? null,
    rows: ids.map(id => ({ id }) as IRow)
  };
}

/** A contents manager holding `files` (path → text). */
function contents(files: Record<string, string>) {
  return {
    get: vi.fn(async (path: string) => {
      if (!(path in files)) {
        throw new Error(`${path} not found`);
      }
      return { content: files[path] } as never;
    })
  };
}

describe('frontMatterId', () => {
  it('reads the id of a front matter block', () => {
    expect(frontMatterId('---\ntitle: Fix it\nid: 42\n---\nbody')).toBe('42');
    expect(frontMatterId('---\r\nid: fix-login\r\n---\r\n')).toBe('fix-login');
    expect(frontMatterId('---\nid: 7\n...\n')).toBe('7');
    expect(frontMatterId('---\nid: 7\n---')).toBe('7');
  });

  it('unquotes the id and drops a comment', () => {
    expect(frontMatterId('---\nid: "42"\n---\n')).toBe('42');
    expect(frontMatterId("---\nid: 'a_b'\n---\n")).toBe('a_b');
    expect(frontMatterId('---\nid: 42  # the ticket\n---\n')).toBe('42');
  });

  it('refuses what is not a task id or not front matter', () => {
    expect(frontMatterId('---\nid: ../etc\n---\n')).toBeNull();
    expect(frontMatterId('---\nid: -x\n---\n')).toBeNull();
    expect(frontMatterId('---\nid:\n---\n')).toBeNull();
    expect(frontMatterId('---\ntitle: no id\n---\n')).toBeNull();
    expect(frontMatterId('# Title\n---\nid: 42\n---\n')).toBeNull();
    expect(frontMatterId('---\nid: 42\n')).toBeNull();
    expect(frontMatterId('---\nsub:\n  xid: 42\n---\n')).toBeNull();
  });
});

describe('stemId', () => {
  it('takes a valid file stem', () => {
    expect(stemId('tasks/42.md')).toBe('42');
    expect(stemId('deep/dir/fix-login.md')).toBe('fix-login');
    expect(stemId('notes with spaces.md')).toBeNull();
    expect(stemId('.hidden.md')).toBeNull();
  });
});

describe('taskIdForText (the toolbar)', () => {
  it("prefers the server's id for the path", () => {
    const model = lookup({ 'tasks/a.md': 'listed' });
    expect(taskIdForText(model, 'tasks/a.md', '---\nid: other\n---\n')).toBe('listed');
  });

  it('then the front matter, even for a task not listed', () => {
    expect(taskIdForText(lookup(), 'notes/x.md', '---\nid: 99\n---\n')).toBe('99');
  });

  it('takes the stem only when a task or session has that id', () => {
    expect(taskIdForText(lookup({}, ['42']), 'tasks/42.md', '# no front matter')).toBe('42');
    expect(taskIdForText(lookup({}, ['41']), 'tasks/42.md', '# no front matter')).toBeNull();
  });
});

describe('taskIdForFile (the context menu)', () => {
  it('does not read a file the server lists', async () => {
    const files = contents({});
    expect(await taskIdForFile(files, lookup({ 'tasks/a.md': 'a' }), 'tasks/a.md')).toBe('a');
    expect(files.get).not.toHaveBeenCalled();
  });

  it('reads the front matter, else takes any valid stem', async () => {
    const files = contents({ 'x/notes.md': '---\nid: 5\n---\n', 'x/42.md': 'plain' });
    expect(await taskIdForFile(files, lookup(), 'x/notes.md')).toBe('5');
    expect(await taskIdForFile(files, lookup(), 'x/42.md')).toBe('42');
  });

  it('falls back to the stem when the file cannot be read', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    expect(await taskIdForFile(contents({}), lookup(), 'gone/7.md')).toBe('7');
    expect(warn).toHaveBeenCalledOnce();
    warn.mockRestore();
  });
});
