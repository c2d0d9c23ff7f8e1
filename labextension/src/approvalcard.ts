/**
 * The approval card: one pending permission request of a task, shown in its
 * sidebar row and at the top of its log tab. It says which tool wants to do
 * what, shows the full input on expand (fetched from GET
 * claude/{id}/permission: a command, a file and its content, a diff for
 * edits, else JSON), and answers with Allow or Deny (with an optional reason
 * the agent is told). An answer given elsewhere first (the terminal, another
 * tab, the CLI) shows "answered elsewhere"; the card goes away with the push
 * that clears the request.
 */
import { ClaudeAPI, Decision, IPendingSummary } from './api';
import { answerFailure, describeInput, IDiffLine, InputView, toolVerb } from './approval';
import { badgeOf } from './badges';
import { element } from './dom';

/** Where a card is in its life: `data-phase` on its node. */
export type CardPhase = 'open' | 'sending' | 'allowed' | 'denied' | 'elsewhere' | 'error';

/** One pending request's card. */
export class ApprovalCard {
  constructor(
    private readonly api: ClaudeAPI,
    readonly taskId: string,
    readonly pending: IPendingSummary
  ) {
    const node = element('div', 'jp-ClaudeApproval');
    node.dataset.taskId = taskId;
    node.dataset.request = pending.request;
    node.dataset.tool = pending.tool;
    node.setAttribute('role', 'group');
    node.setAttribute('aria-label', `Permission request of task ${taskId}`);
    this.node = node;

    const head = element('div', 'jp-ClaudeApproval-head');
    const icon = element('span', 'jp-ClaudeApproval-icon', badgeOf('waiting').icon);
    const tool = element('strong', 'jp-ClaudeApproval-tool', pending.tool);
    const verb = element('span', 'jp-ClaudeApproval-verb', `wants to ${toolVerb(pending.tool)}`);
    head.append(icon, tool, verb);
    head.title = `Asked at ${pending.asked_at}`;

    const summary = element('code', 'jp-ClaudeApproval-summary', pending.summary);
    summary.title = pending.summary;

    this._details = document.createElement('details');
    this._details.className = 'jp-ClaudeApproval-details';
    const toggle = element('summary', '', 'Full input');
    this._input = element('div', 'jp-ClaudeApproval-input');
    this._details.append(toggle, this._input);
    this._details.addEventListener('toggle', () => {
      if (this._details.open && !this._loaded) {
        this._loaded = true;
        void this._loadInput();
      }
    });

    this._allow = button('Allow', 'allow');
    this._allow.title = `Allow ${pending.tool} for task ${taskId}`;
    this._deny = button('Deny', 'deny');
    this._deny.title = `Deny ${pending.tool} for task ${taskId}; the reason, if any, is sent to the agent`;
    this._reason = document.createElement('input');
    this._reason.type = 'text';
    this._reason.className = 'jp-ClaudeApproval-reason';
    this._reason.placeholder = 'Reason to deny (optional)';
    this._reason.setAttribute('aria-label', 'Reason to deny (optional, sent to the agent)');
    this._reason.addEventListener('keydown', event => {
      if (event.key === 'Enter') {
        event.preventDefault();
        void this.answer('deny');
      }
    });
    this._allow.onclick = () => void this.answer('allow');
    this._deny.onclick = () => void this.answer('deny');
    const actions = element('div', 'jp-ClaudeApproval-actions');
    actions.append(this._allow, this._deny, this._reason);

    this._result = element('div', 'jp-ClaudeApproval-result');
    this._result.setAttribute('role', 'status');

    node.append(head, summary, this._details, actions, this._result);
    this._setPhase('open', '');
  }

  /** The card's element. */
  readonly node: HTMLElement;

  /** The request this card answers. */
  get request(): string {
    return this.pending.request;
  }

  /** Where the card is in its life. */
  get phase(): CardPhase {
    return this._phase;
  }

  /** Answer the request (Deny sends the reason field's text). */
  async answer(decision: Decision): Promise<void> {
    if (this._phase !== 'open' && this._phase !== 'error') {
      return;
    }
    const message = decision === 'deny' ? this._reason.value.trim() : '';
    this._setPhase('sending', decision === 'allow' ? 'Allowing…' : 'Denying…');
    try {
      await this.api.answer(this.taskId, this.request, decision, message);
      this._setPhase(decision === 'allow' ? 'allowed' : 'denied', decision === 'allow' ? 'Allowed' : 'Denied');
    } catch (error) {
      const failure = answerFailure(error);
      this._setPhase(failure.elsewhere ? 'elsewhere' : 'error', failure.text);
    }
  }

  /** Remove the card from the page. */
  dispose(): void {
    this.node.remove();
  }

  private async _loadInput(): Promise<void> {
    this._input.replaceChildren(element('span', 'jp-ClaudeApproval-loading', 'Loading…'));
    try {
      const full = await this.api.permission(this.taskId);
      if (!full || full.request !== this.request) {
        this._input.replaceChildren(element('span', '', 'This request is no longer pending.'));
        return;
      }
      this._input.replaceChildren(...renderInput(describeInput(full.tool, full.input)));
    } catch (error) {
      this._loaded = false; // let the next expand try again
      this._input.replaceChildren(
        element('span', 'jp-ClaudeApproval-error', `Cannot read the request: ${answerFailure(error).text}`)
      );
    }
  }

  private _setPhase(phase: CardPhase, text: string): void {
    this._phase = phase;
    this.node.dataset.phase = phase;
    const open = phase === 'open' || phase === 'error';
    this._allow.disabled = this._deny.disabled = this._reason.disabled = !open;
    this._result.textContent = text;
    this._result.hidden = text === '';
  }

  private _details: HTMLDetailsElement;
  private _input: HTMLElement;
  private _allow: HTMLButtonElement;
  private _deny: HTMLButtonElement;
  private _reason: HTMLInputElement;
  private _result: HTMLElement;
  private _phase: CardPhase = 'open';
  private _loaded = false;
}

/** The elements that show a tool's input. */
export function renderInput(view: InputView): HTMLElement[] {
  switch (view.kind) {
    case 'command': {
      const nodes: HTMLElement[] = [codeBlock(view.command, 'jp-ClaudeApproval-command')];
      if (view.description) {
        nodes.unshift(element('div', 'jp-ClaudeApproval-note', view.description));
      }
      return nodes;
    }
    case 'file':
      return [pathLine(view.path), codeBlock(view.content, 'jp-ClaudeApproval-content')];
    case 'diff': {
      const nodes = [pathLine(view.path)];
      if (view.replaceAll) {
        nodes.push(element('div', 'jp-ClaudeApproval-note', 'Every occurrence is replaced.'));
      }
      nodes.push(diffBlock(view.hunks));
      return nodes;
    }
    case 'json':
      return [codeBlock(view.text, 'jp-ClaudeApproval-json')];
  }
}

function diffBlock(hunks: IDiffLine[][]): HTMLElement {
  const pre = element('pre', 'jp-ClaudeApproval-code jp-ClaudeApproval-diff');
  hunks.forEach((hunk, index) => {
    if (index > 0) {
      pre.append(element('span', 'jp-ClaudeApproval-hunk', '⋯\n'));
    }
    for (const line of hunk) {
      const kind = line.op === '+' ? 'jp-mod-added' : line.op === '-' ? 'jp-mod-removed' : 'jp-mod-kept';
      pre.append(element('span', `jp-ClaudeApproval-line ${kind}`, `${line.op} ${line.text}\n`));
    }
  });
  return pre;
}

function pathLine(path: string): HTMLElement {
  const node = element('div', 'jp-ClaudeApproval-path', path);
  node.title = path;
  return node;
}

function codeBlock(text: string, className: string): HTMLElement {
  const pre = element('pre', `jp-ClaudeApproval-code ${className}`);
  pre.append(element('code', '', text));
  return pre;
}

function button(label: string, answer: Decision): HTMLButtonElement {
  const node = document.createElement('button');
  node.type = 'button';
  node.className = `jp-ClaudeApproval-button jp-mod-${answer}`;
  node.dataset.answer = answer;
  node.textContent = label;
  return node;
}

