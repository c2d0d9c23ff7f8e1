/**
 * The words for session states: icon, label and whether the command is alive.
 *
 * They come from vocabulary.json, which the Python package writes from its own
 * single table (jupyter_claude's vocabulary module; a test keeps the two
 * equal), so the sidebar, the CLI, the magic and the notebook widget say the
 * same thing. Nothing else in the extension spells a state's icon or label.
 */
import table from './vocabulary.json';

/** One session state as people see it. */
export interface IStateWords {
  name: string;
  icon: string;
  label: string;
  /** True while the session's command is alive (Stop and Attach make sense, Run does not). */
  live: boolean;
  /** What the state means, for tooltips. */
  description: string;
}

/** Every state the server reports, in the vocabulary's order. */
export const STATES: readonly IStateWords[] = table.states;

/** How a state this version does not know is shown. */
export const UNKNOWN: { readonly icon: string; readonly label: string } = table.unknown;

/** The badge of a task whose id fails the gate (it has no session). */
export const INVALID: string = table.invalid;

/** States in which the session's command is alive. */
export const LIVE_STATES: ReadonlySet<string> = new Set(
  STATES.filter(state => state.live).map(state => state.name)
);

const BY_NAME = new Map(STATES.map(state => [state.name, state]));

/** Whether the vocabulary has words for a state. */
export function isKnownState(name: string): boolean {
  return BY_NAME.has(name);
}

/** The words of a state; an unknown one gets the unknown icon and its own name as label. */
export function stateWords(name: string): IStateWords {
  return (
    BY_NAME.get(name) ?? {
      name,
      icon: UNKNOWN.icon,
      label: name || UNKNOWN.label,
      live: false,
      description: ''
    }
  );
}

/** The label of a state: "waiting for you", "exited (3)". */
export function stateLabel(name: string, exitStatus: number | null = null): string {
  if (name === 'exited' && exitStatus !== null) {
    return `exited (${exitStatus})`;
  }
  return stateWords(name).label;
}
