/**
 * Landing a task from JupyterLab: a confirmation dialog that lists the
 * commits and files that will land, where they land (the branch the main
 * checkout is on), any known conflict, and the choices (merge, squash or
 * rebase; commit the worktree's uncommitted work first; clean up after),
 * then POST claude/{id}/land. A refusal (409) is shown with the server's
 * reason; nothing was changed then.
 */
import { Dialog, Notification, showDialog } from '@jupyterlab/apputils';
import { Widget } from '@lumino/widgets';

import { ClaudeAPIError, IDiff, ILandOptions, ILandReply } from './api';
import { ClaudeModel } from './model';
import { BASE, conflictText, countsText, fileLabel, statusLetter } from './review';

/** The dialog's body: what lands, and the choices. */
export class LandDialogBody extends Widget implements Dialog.IBodyWidget<ILandOptions> {
  constructor(diff: IDiff, target: string, conflicts: string, withBase: boolean) {
    super();
    this.addClass('jp-ClaudeLand');
    const node = this.node;
    node.append(
      paragraph(
        `Land ${diff.branch} in ${target}: ${diff.commits.length} commit(s), ${diff.files.length} file(s).`
      )
    );
    if (conflicts) {
      const outcome = withBase
        ? `Landing is refused while it conflicts with ${target}.`
        : 'Whichever of them lands second will have to resolve that.';
      const warning = paragraph(`⚠ ${conflicts}. ${outcome}`);
      warning.className = 'jp-ClaudeLand-conflicts';
      node.append(warning);
    }
    node.append(list('jp-ClaudeLand-commits', diff.commits.map(c => `${c.sha.slice(0, 8)} ${c.subject}`)));
    node.append(
      list(
        'jp-ClaudeLand-files',
        diff.files.map(f => `${statusLetter(f.status)} ${fileLabel(f)} ${countsText(f)}`.trim())
      )
    );

    this._strategy = document.createElement('select');
    this._strategy.className = 'jp-mod-styled jp-ClaudeLand-strategy';
    for (const [value, label] of [
      ['merge', 'Merge (a merge commit)'],
      ['squash', 'Squash (one commit)'],
      ['rebase', 'Rebase (replay the commits, then fast-forward)']
    ]) {
      const option = document.createElement('option');
      option.value = value;
      option.textContent = label;
      this._strategy.append(option);
    }
    node.append(labelled('Strategy ', this._strategy));

    this._commit = checkbox('jp-ClaudeLand-commitUncommitted');
    this._message = document.createElement('input');
    this._message.className = 'jp-mod-styled jp-ClaudeLand-message';
    this._message.placeholder = 'Commit message';
    this._message.value = `Task ${diff.id}: work left uncommitted`;
    if (diff.uncommitted.length) {
      node.append(
        labelled(`Commit the ${diff.uncommitted.length} uncommitted file(s) in the worktree first `, this._commit),
        this._message
      );
    }
    this._cleanup = checkbox('jp-ClaudeLand-cleanup');
    node.append(labelled('Then stop the session, remove the worktree and delete the branch ', this._cleanup));
  }

  getValue(): ILandOptions {
    const options: ILandOptions = {
      strategy: this._strategy.value as ILandOptions['strategy'],
      cleanup: this._cleanup.checked
    };
    if (this._commit.checked) {
      options.commit_uncommitted = true;
      options.message = this._message.value.trim() || undefined;
    }
    return options;
  }

  private _strategy: HTMLSelectElement;
  private _commit: HTMLInputElement;
  private _message: HTMLInputElement;
  private _cleanup: HTMLInputElement;
}

/** Confirm, then land; the reply, or null when cancelled or refused (the reason is shown). */
export async function confirmAndLand(model: ClaudeModel, diff: IDiff): Promise<ILandReply | null> {
  const target = model.conflicts?.base ?? diff.base;
  const found = model.conflictsFor(diff.id);
  const conflicts = conflictText(found, target);
  const withBase = found.some(conflict => conflict.other === BASE);
  const result = await showDialog<ILandOptions>({
    title: `Land task ${diff.id}?`,
    body: new LandDialogBody(diff, target, conflicts, withBase),
    buttons: [Dialog.cancelButton(), Dialog.okButton({ label: 'Land' })]
  });
  if (!result.button.accept || !result.value) {
    return null;
  }
  try {
    const reply = await model.api.land(diff.id, result.value);
    let text = `Landed ${reply.branch} in ${reply.target} (${reply.strategy}): ${reply.commits.length} commit(s).`;
    for (const problem of reply.cleanup?.problems ?? []) {
      text += ` ⚠ ${problem}.`;
    }
    Notification.success(text, { autoClose: 8000 });
    void model.refresh();
    void model.refreshConflicts();
    return reply;
  } catch (error) {
    const reason = error instanceof ClaudeAPIError ? error.reason : String(error);
    Notification.error(`Cannot land ${diff.id}: ${reason}`, { autoClose: false });
    return null;
  }
}

function paragraph(text: string): HTMLParagraphElement {
  const node = document.createElement('p');
  node.textContent = text;
  return node;
}

function list(className: string, items: string[]): HTMLUListElement {
  const node = document.createElement('ul');
  node.className = className;
  for (const text of items) {
    const item = document.createElement('li');
    item.textContent = text;
    node.append(item);
  }
  return node;
}

function checkbox(className: string): HTMLInputElement {
  const input = document.createElement('input');
  input.type = 'checkbox';
  input.className = className;
  return input;
}

function labelled(text: string, control: HTMLElement): HTMLLabelElement {
  const label = document.createElement('label');
  label.className = 'jp-ClaudeLand-choice';
  label.append(text, control);
  return label;
}
