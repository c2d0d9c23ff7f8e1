/**
 * The Changes tab of a task: what its branch has committed against its base
 * (the commits, the files with +/− counts, each file's diff) and what its
 * worktree holds uncommitted, with a ⚠ line when the task would conflict with
 * another task or the base, and a Land button.
 *
 * Each file's diff is CodeMirror's merge view (side by side, the two versions
 * read with GET claude/{id}/diff?path=…, syntax colours from JupyterLab's
 * language registry and theme), or the file's unified patch with coloured
 * lines (the toolbar switches; binary and very large files are always shown
 * as the patch names them). The tab reloads when the task's `ahead` count or
 * worktree changes, and after a land.
 */
import { MergeView } from '@codemirror/merge';
import { syntaxHighlighting } from '@codemirror/language';
import { EditorState, Extension } from '@codemirror/state';
import { EditorView, lineNumbers } from '@codemirror/view';
import { MainAreaWidget, ToolbarButton } from '@jupyterlab/apputils';
import { IEditorLanguageRegistry, jupyterHighlightStyle, jupyterTheme } from '@jupyterlab/codemirror';
import { refreshIcon } from '@jupyterlab/ui-components';
import { Message } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';

import { ClaudeAPIError, IDiff, IFileChange } from './api';
import { element } from './dom';
import { changesWidgetId } from './ids';
import { confirmAndLand } from './landdialog';
import { ClaudeModel } from './model';
import {
  conflictText,
  countsText,
  fileLabel,
  lineKinds,
  splitPatch,
  statusLetter,
  totals
} from './review';
import { changesIcon } from './sidebar';

/** Files whose diff opens by itself (the others open on a click). */
const OPEN_FILES = 8;

/** How each file's diff is drawn. */
export type DiffMode = 'split' | 'unified';

/** The content of a Changes tab. */
export class ClaudeChangesView extends Widget {
  constructor(
    readonly taskId: string,
    private readonly model: ClaudeModel,
    private readonly languages: Promise<IEditorLanguageRegistry | null> = Promise.resolve(null)
  ) {
    super();
    this.addClass('jp-ClaudeChanges');
    this._status = element('div', 'jp-ClaudeChanges-status');
    this._status.setAttribute('role', 'status');
    this._conflicts = element('div', 'jp-ClaudeChanges-conflicts');
    this._content = element('div', 'jp-ClaudeChanges-content');
    this.node.append(this._status, this._conflicts, this._content);
    model.changed.connect(this._onModelChanged, this);
  }

  /** The last diff shown, or null before the first answer. */
  get diff(): IDiff | null {
    return this._diff;
  }

  /** How file diffs are drawn: side by side (merge view) or unified. */
  get mode(): DiffMode {
    return this._mode;
  }

  set mode(mode: DiffMode) {
    if (mode !== this._mode) {
      this._mode = mode;
      this.node.dataset.mode = mode;
      this._render();
    }
  }

  /** Read the task's diff again and redraw. */
  async reload(): Promise<void> {
    this._setStatus('loading', 'Loading…');
    this._seen = this._sessionKey();
    try {
      this._diff = await this.model.api.diff(this.taskId);
      this._setStatus('ready', '');
      this._render();
    } catch (error) {
      this._diff = null;
      this._content.replaceChildren();
      const reason = error instanceof ClaudeAPIError ? error.reason : String(error);
      this._setStatus(error instanceof ClaudeAPIError && error.status === 404 ? 'missing' : 'error', reason);
    }
    this._renderConflicts();
  }

  /** Ask for confirmation (commits and files listed), then land the task. */
  async land(): Promise<void> {
    if (!this._diff) {
      await this.reload();
    }
    if (!this._diff) {
      return;
    }
    const landed = await confirmAndLand(this.model, this._diff);
    if (landed) {
      await this.reload();
    }
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._destroyViews();
    this.model.changed.disconnect(this._onModelChanged, this);
    super.dispose();
  }

  protected onAfterAttach(msg: Message): void {
    super.onAfterAttach(msg);
    if (!this._loaded) {
      this._loaded = true;
      void this.reload();
    }
  }

  /** The task's session moved on (a commit, a new worktree): read the diff again. */
  private _onModelChanged(): void {
    if (this._loaded && this._sessionKey() !== this._seen) {
      void this.reload();
    } else {
      this._renderConflicts();
    }
  }

  /** What the diff depends on, as far as the pushed session tells: `ahead` and the worktree. */
  private _sessionKey(): string {
    const session = this.model.session(this.taskId);
    return JSON.stringify([session?.ahead ?? null, session?.worktree ?? null]);
  }

  private _renderConflicts(): void {
    const conflicts = this.model.conflictsFor(this.taskId);
    const text = conflictText(conflicts, this.model.conflicts?.base ?? null);
    this._conflicts.hidden = !text;
    this._conflicts.textContent = text ? `⚠ ${text}` : '';
    this._conflicts.dataset.with = conflicts.map(c => c.other).join(' ');
  }

  private _render(): void {
    this._destroyViews();
    const diff = this._diff;
    if (!diff) {
      return;
    }
    const sum = totals(diff.files);
    const summary = element('div', 'jp-ClaudeChanges-summary');
    summary.append(
      element('strong', '', `${diff.branch} → ${diff.base}`),
      element('span', '', ` · ${diff.ahead} commit${diff.ahead === 1 ? '' : 's'} ahead, ${diff.behind} behind · `),
      element('span', 'jp-ClaudeChanges-added', `+${sum.added}`),
      element('span', '', ' '),
      element('span', 'jp-ClaudeChanges-deleted', `−${sum.deleted}`),
      element('span', 'jp-ClaudeChanges-worktree', ` · ${diff.worktree}`)
    );
    const parts: HTMLElement[] = [summary];

    const commits = element('ul', 'jp-ClaudeChanges-commits');
    for (const commit of diff.commits) {
      const item = element('li', '');
      item.append(
        element('code', '', commit.sha.slice(0, 8)),
        element('span', 'jp-ClaudeChanges-subject', ` ${commit.subject}`),
        element('span', 'jp-ClaudeChanges-author', ` — ${commit.author}, ${commit.time.slice(0, 10)}`)
      );
      commits.append(item);
    }
    parts.push(heading(`Commits (${diff.commits.length})`), commits);

    if (diff.uncommitted.length) {
      const list = element('ul', 'jp-ClaudeChanges-uncommitted');
      for (const change of diff.uncommitted) {
        list.append(fileRow(change, 'li'));
      }
      parts.push(heading(`Uncommitted in the worktree (${diff.uncommitted.length})`), list);
    }

    parts.push(heading(`Files (${diff.files.length})`));
    const pieces = splitPatch(diff.patch);
    diff.files.forEach((change, index) => {
      parts.push(this._fileSection(change, pieces[index] ?? null, index < OPEN_FILES));
    });
    if (!diff.files.length) {
      parts.push(element('div', 'jp-ClaudeChanges-empty', 'No committed changes yet.'));
    }
    if (diff.truncated) {
      parts.push(element('div', 'jp-ClaudeChanges-note', 'The patch is cut: it is longer than diff_max_bytes.'));
    }
    this._content.replaceChildren(...parts);
  }

  /** A file: its row (status, path, counts), then its diff when opened. */
  private _fileSection(change: IFileChange, piece: string | null, open: boolean): HTMLElement {
    const section = document.createElement('details');
    section.className = 'jp-ClaudeChanges-file';
    section.dataset.path = change.path;
    const summary = document.createElement('summary');
    summary.append(fileRow(change, 'span'));
    const body = element('div', 'jp-ClaudeChanges-fileBody');
    section.append(summary, body);
    let drawn = false;
    section.addEventListener('toggle', () => {
      if (section.open && !drawn) {
        drawn = true;
        void this._drawFile(body, change, piece);
      }
    });
    section.open = open;
    return section;
  }

  private async _drawFile(body: HTMLElement, change: IFileChange, piece: string | null): Promise<void> {
    if (this._mode === 'unified' || change.binary) {
      body.replaceChildren(unifiedPatch(piece));
      return;
    }
    body.textContent = 'Loading…';
    try {
      const versions = await this.model.api.diffFile(this.taskId, change.path, change.old_path);
      if (versions.binary || versions.too_large) {
        body.replaceChildren(unifiedPatch(piece));
        return;
      }
      const extensions = await this._extensions(change.path);
      body.replaceChildren();
      body.dataset.view = 'merge';
      const view = new MergeView({
        a: { doc: versions.original ?? '', extensions },
        b: { doc: versions.modified ?? '', extensions },
        parent: body,
        gutter: true,
        highlightChanges: true,
        collapseUnchanged: { margin: 3, minSize: 6 }
      });
      this._views.push(view);
    } catch (error) {
      body.replaceChildren(unifiedPatch(piece));
      console.warn('jupyter-claude: side-by-side view unavailable', error);
    }
  }

  /** Read-only editors with line numbers, JupyterLab's theme and the file's syntax colours. */
  private async _extensions(path: string): Promise<Extension[]> {
    const extensions: Extension[] = [
      EditorState.readOnly.of(true),
      EditorView.editable.of(false),
      lineNumbers(),
      jupyterTheme,
      syntaxHighlighting(jupyterHighlightStyle)
    ];
    const languages = await this.languages.catch(() => null);
    const found = languages?.findByFileName(path.split('/').pop() ?? path);
    if (found && languages) {
      try {
        const language = await languages.getLanguage(found);
        if (language?.support) {
          extensions.push(language.support);
        }
      } catch (error) {
        console.warn(`jupyter-claude: no syntax colours for ${path}`, error);
      }
    }
    return extensions;
  }

  private _destroyViews(): void {
    for (const view of this._views) {
      view.destroy();
    }
    this._views = [];
  }

  private _setStatus(state: string, text: string): void {
    this._status.dataset.status = state;
    this._status.textContent = text;
    this._status.hidden = !text;
  }

  private _status: HTMLElement;
  private _conflicts: HTMLElement;
  private _content: HTMLElement;
  private _diff: IDiff | null = null;
  private _mode: DiffMode = 'split';
  private _views: MergeView[] = [];
  private _loaded = false;
  private _seen = '';
}

/** The main area tab around a Changes view, with id `jp-claude-changes-ID`. */
export function createChangesWidget(
  id: string,
  model: ClaudeModel,
  languages: Promise<IEditorLanguageRegistry | null>
): MainAreaWidget<ClaudeChangesView> {
  const content = new ClaudeChangesView(id, model, languages);
  const widget = new MainAreaWidget({ content });
  widget.id = changesWidgetId(id);
  widget.addClass('jp-ClaudeChangesTab');
  widget.title.label = `Changes: ${id}`;
  widget.title.caption = `What task ${id} changed, and landing it`;
  widget.title.icon = changesIcon;
  widget.title.closable = true;
  widget.toolbar.addItem(
    'reload',
    new ToolbarButton({ icon: refreshIcon, tooltip: 'Read the changes again', onClick: () => void content.reload() })
  );
  const mode = new ToolbarButton({
    label: 'Unified',
    className: 'jp-ClaudeChanges-modeButton',
    tooltip: 'Show each file as a unified diff, or side by side',
    onClick: () => {
      content.mode = content.mode === 'split' ? 'unified' : 'split';
      mode.node.querySelector('.jp-ToolbarButtonComponent-label')!.textContent =
        content.mode === 'split' ? 'Unified' : 'Side by side';
    }
  });
  widget.toolbar.addItem('mode', mode);
  widget.toolbar.addItem(
    'land',
    new ToolbarButton({
      label: 'Land…',
      className: 'jp-ClaudeChanges-landButton',
      tooltip: "Merge the task's branch into the branch the main checkout is on",
      onClick: () => void content.land()
    })
  );
  return widget;
}

/** A file's patch, a line per row, coloured by kind ("no patch" when it was cut off). */
export function unifiedPatch(piece: string | null): HTMLElement {
  const pre = element('pre', 'jp-ClaudeChanges-patch');
  if (piece === null) {
    pre.textContent = '(not in the patch: it was cut at diff_max_bytes)';
    return pre;
  }
  for (const { text, kind } of lineKinds(piece)) {
    const line = element('span', `jp-ClaudeChanges-line jp-mod-${kind}`, text);
    pre.append(line, '\n');
  }
  return pre;
}

function fileRow(change: IFileChange, tag: 'li' | 'span'): HTMLElement {
  const row = element(tag, 'jp-ClaudeChanges-fileRow');
  row.dataset.status = change.status;
  const counts = countsText(change);
  const [added, deleted] = change.binary || change.added === null ? ['', ''] : counts.split(' ');
  row.append(
    element('code', 'jp-ClaudeChanges-letter', statusLetter(change.status)),
    element('span', 'jp-ClaudeChanges-path', fileLabel(change)),
    element('span', 'jp-ClaudeChanges-added', added ?? ''),
    element('span', 'jp-ClaudeChanges-deleted', deleted ?? ''),
    element('span', 'jp-ClaudeChanges-binary', change.binary ? 'binary' : '')
  );
  return row;
}

function heading(text: string): HTMLElement {
  return element('h3', 'jp-ClaudeChanges-heading', text);
}

