/**
 * The "New task" form: title, status (a board column), priority, an optional
 * id (made from the title when empty) and the body in markdown, in a
 * JupyterLab dialog. The server checks everything again and writes the file.
 */
import { Dialog, showDialog } from '@jupyterlab/apputils';
import { Widget } from '@lumino/widgets';

import { INewTask, TASK_ID_PATTERN } from './api';
import table from './vocabulary.json';

/** The priority words offered (any other text may be typed). */
export const PRIORITY_CHOICES: readonly string[] = table.priorities
  .slice()
  .sort((a, b) => a.rank - b.rank)
  .map(entry => entry.words[0].charAt(0).toUpperCase() + entry.words[0].slice(1));

/** The form inside the dialog. */
export class NewTaskForm extends Widget implements Dialog.IBodyWidget<INewTask> {
  constructor(columns: readonly string[], status?: string) {
    super();
    this.addClass('jp-ClaudeNewTask');
    this._title = this._field('title', 'Title', document.createElement('input'));
    this._title.required = true;
    this._title.placeholder = 'What is to be done';
    this._status = this._field('status', 'Status', document.createElement('select'));
    for (const column of columns) {
      const option = document.createElement('option');
      option.value = option.textContent = column;
      this._status.append(option);
    }
    if (status && columns.includes(status)) {
      this._status.value = status;
    }
    this._priority = this._field('priority', 'Priority', document.createElement('input'));
    const choices = document.createElement('datalist');
    choices.id = `jp-claude-priorities-${Private.counter++}`;
    for (const word of PRIORITY_CHOICES) {
      const option = document.createElement('option');
      option.value = word;
      choices.append(option);
    }
    this._priority.setAttribute('list', choices.id);
    this._priority.placeholder = 'e.g. High (optional)';
    this.node.append(choices);
    this._id = this._field('id', 'Id', document.createElement('input'));
    this._id.placeholder = 'made from the title when empty';
    this._id.pattern = TASK_ID_PATTERN.source.replace(/^\^|\$$/g, '');
    this._body = this._field('body', 'Body (markdown)', document.createElement('textarea'));
    this._body.rows = 8;
    this._body.placeholder = '# What and why\n\nAcceptance criteria, links, notes…';
  }

  /** What the form holds, as POST claude/tasks takes it. */
  getValue(): INewTask {
    return {
      title: this._title.value.trim(),
      status: this._status.value || null,
      priority: this._priority.value.trim() || null,
      id: this._id.value.trim() || null,
      body: this._body.value
    };
  }

  private _field<T extends HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement>(
    name: string,
    label: string,
    input: T
  ): T {
    const wrapper = document.createElement('label');
    wrapper.className = 'jp-ClaudeNewTask-field';
    const text = document.createElement('span');
    text.textContent = label;
    input.name = name;
    input.className = 'jp-mod-styled';
    wrapper.append(text, input);
    this.node.append(wrapper);
    return input;
  }

  private _title: HTMLInputElement;
  private _status: HTMLSelectElement;
  private _priority: HTMLInputElement;
  private _id: HTMLInputElement;
  private _body: HTMLTextAreaElement;
}

/** Ask for a new task; null when cancelled. */
export async function askNewTask(columns: readonly string[], status?: string): Promise<INewTask | null> {
  const result = await showDialog({
    title: 'New task',
    body: new NewTaskForm(columns, status),
    buttons: [Dialog.cancelButton(), Dialog.okButton({ label: 'Create' })],
    focusNodeSelector: 'input[name="title"]'
  });
  return result.button.accept && result.value ? result.value : null;
}

namespace Private {
  export let counter = 0;
}
