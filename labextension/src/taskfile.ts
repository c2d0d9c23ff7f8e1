/**
 * Which task a markdown file is. A file's task id is, in order: the id the
 * server lists for that path, the `id:` of its front matter, or its file stem
 * (for the toolbar only when a task or session with that id exists; the
 * context menu takes any valid stem).
 */
import { PathExt } from '@jupyterlab/coreutils';
import type { Contents } from '@jupyterlab/services';

import { TASK_ID_PATTERN } from './api';
import type { ClaudeModel } from './model';

/** What the rules need from the model: the listed paths and rows. */
export type ITaskLookup = Pick<ClaudeModel, 'idForPath' | 'rows'>;

/** The `id:` of a YAML front matter block, if it is a valid task id. */
export function frontMatterId(text: string): string | null {
  const match = /^---[ \t]*\r?\n([\s\S]*?)\r?\n(?:---|\.\.\.)[ \t]*(?:\r?\n|$)/.exec(text);
  if (!match) {
    return null;
  }
  const line = /^id:[ \t]*(.*)$/m.exec(match[1]);
  if (!line) {
    return null;
  }
  const value = line[1]
    .replace(/\s+#.*$/, '')
    .trim()
    .replace(/^(['"])(.*)\1$/, '$2');
  return TASK_ID_PATTERN.test(value) ? value : null;
}

/** The stem of a path if it is a valid task id ("tasks/42.md" → "42"). */
export function stemId(path: string): string | null {
  const stem = PathExt.basename(path, PathExt.extname(path));
  return TASK_ID_PATTERN.test(stem) ? stem : null;
}

/** The task id of a file whose text is at hand (the toolbar's rule). */
export function taskIdForText(model: ITaskLookup, path: string, text: string): string | null {
  const known = model.idForPath(path) ?? frontMatterId(text);
  if (known) {
    return known;
  }
  const stem = stemId(path);
  return stem && model.rows.some(row => row.id === stem) ? stem : null;
}

/** The task id of a file in the contents manager (the context menu's rule). */
export async function taskIdForFile(
  contents: Pick<Contents.IManager, 'get'>,
  model: ITaskLookup,
  path: string
): Promise<string | null> {
  const known = model.idForPath(path);
  if (known) {
    return known;
  }
  try {
    const file = await contents.get(path, { type: 'file', format: 'text', content: true });
    const id = typeof file.content === 'string' ? frontMatterId(file.content) : null;
    if (id) {
      return id;
    }
  } catch (error) {
    console.warn(`jupyter-claude: cannot read ${path}`, error);
  }
  return stemId(path);
}
