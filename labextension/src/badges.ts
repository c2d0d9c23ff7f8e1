/**
 * How a session is shown: its badge (icon and label from the vocabulary),
 * whether its command is alive, and the warning about its task log. Pure
 * functions of the server's JSON, shared by the sidebar, the task file
 * toolbar and the log view.
 */
import type { ISession } from './api';
import type { IRow } from './model';
import {
  INVALID,
  isKnownState,
  LIVE_STATES,
  stateLabel,
  stateWords,
  UNKNOWN
} from './vocabulary';

/** How a session state is shown. */
export interface IBadge {
  /** The state's name ("invalid" for a task whose id fails the gate). */
  state: string;
  icon: string;
  label: string;
  /** Icon and label as displayed, one space apart. */
  text: string;
  /** What the state means, for tooltips ("" when the vocabulary has no words for it). */
  description: string;
}

/** The state of a task that has no session; a missing session is shown so. */
export const STOPPED = 'stopped';

/** The badge of every session while session states can't be read (tmux missing or failing). */
const UNKNOWN_BADGE: IBadge = {
  state: 'unknown',
  icon: UNKNOWN.icon,
  label: UNKNOWN.label,
  text: `${UNKNOWN.icon} ${UNKNOWN.label}`,
  description: ''
};

/** The badge of a task whose id fails the gate (the vocabulary has it as one text). */
const INVALID_BADGE: IBadge = {
  state: 'invalid',
  icon: '',
  label: INVALID,
  text: INVALID,
  description: ''
};

/** The badge of a state by name. */
export function badgeOf(state: string, exitStatus: number | null = null): IBadge {
  const words = stateWords(state);
  const label = stateLabel(state, exitStatus);
  return {
    state,
    icon: words.icon,
    label,
    text: `${words.icon} ${label}`,
    description: words.description
  };
}

/** The badge of a session (a missing session is "stopped"). */
export function badgeFor(session: ISession | null): IBadge {
  return badgeOf(session?.state ?? STOPPED, session?.exit_status ?? null);
}

/** The badge of a sidebar row: invalid id, unknown session, or its session's. */
export function badgeForRow(row: Pick<IRow, 'valid' | 'session' | 'unknownReason'>): IBadge {
  if (!row.valid) {
    return INVALID_BADGE;
  }
  if (row.unknownReason !== null) {
    return UNKNOWN_BADGE;
  }
  return badgeFor(row.session);
}

/** A row badge's tooltip: the state and its meaning, why it's unknown, or why the id is invalid. */
export function badgeTooltip(
  row: Pick<IRow, 'valid' | 'invalidReason' | 'session' | 'unknownReason'>
): string {
  const badge = badgeForRow(row);
  if (!row.valid) {
    return [badge.text, row.invalidReason].filter(Boolean).join('\n');
  }
  const lines = [`Session: ${badge.label}${badge.description ? ` — ${badge.description}` : ''}`];
  if (row.unknownReason) {
    lines.push(row.unknownReason);
  }
  const session = row.session;
  if (session?.started_at) {
    lines.push(`Started: ${session.started_at}`);
  }
  if (session && session.attached_clients > 0) {
    lines.push(`Terminals attached: ${session.attached_clients}`);
  }
  return lines.join('\n');
}

/** Whether the session's command is alive (Stop and Attach make sense, Run does not). */
export function isLive(session: ISession | null): boolean {
  if (session === null) {
    return false;
  }
  if (isKnownState(session.state)) {
    return LIVE_STATES.has(session.state);
  }
  // A state this version doesn't know yet: trust the `running` flag.
  return session.running === true;
}

/** Whether there is a session to stop (live, or exited with its screen kept). */
export function hasSession(session: ISession | null): boolean {
  return (session?.state ?? STOPPED) !== STOPPED;
}

/** A warning about a task log that is not whole. */
export interface ILogNote {
  /** The marker shown: "⚠ log gap". */
  text: string;
  /** What it means. */
  title: string;
}

/** The warning a session's `log` health calls for, or null when the log is fine or not kept. */
export function logNote(session: ISession | null): ILogNote | null {
  const health = session?.log ?? null;
  if (health === null || health === 'ok') {
    return null;
  }
  if (health === 'gap') {
    return {
      text: '⚠ log gap',
      title: 'The log writer died and was restarted: the output in between is missing from the log.'
    };
  }
  if (health === 'stalled') {
    return {
      text: '⚠ log stalled',
      title: 'The log writer is not running: the output is not being kept.'
    };
  }
  if (health.startsWith('lost')) {
    const count = /\d+/.exec(health)?.[0];
    return {
      text: `⚠ log: ${health}`,
      title: count
        ? `The disk was full: ${count} bytes of output were not kept in the log.`
        : 'The disk was full: some output was not kept in the log.'
    };
  }
  return { text: `⚠ log: ${health}`, title: `The task log reports: ${health}` };
}
