/**
 * How a task's usage and limit read in the sidebar (and anywhere else that
 * shows a session): the same words as the Python side's figures module, so
 * the CLI, the notebook table and JupyterLab agree.
 */
import type { ILimit, IUsage } from './api';

/** A token count: 950, 12.3k, 4.1M. */
export function amount(tokens: number): string {
  if (tokens < 1000) {
    return String(tokens);
  }
  if (tokens < 1_000_000) {
    return `${(tokens / 1000).toFixed(1)}k`.replace('.0k', 'k');
  }
  return `${(tokens / 1_000_000).toFixed(1)}M`.replace('.0M', 'M');
}

/** A cost: "$0.42", "<$0.01", or "cost unknown" when a model has no price. */
export function dollars(cost: number | null): string {
  if (cost === null) {
    return 'cost unknown';
  }
  if (cost > 0 && cost < 0.01) {
    return '<$0.01';
  }
  return `$${cost.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
}

/** Working time: "45s", "3m 12s", "2h 05m". */
export function duration(seconds: number): string {
  const whole = Math.round(seconds);
  if (whole < 60) {
    return `${whole}s`;
  }
  if (whole < 3600) {
    return `${Math.floor(whole / 60)}m ${String(whole % 60).padStart(2, '0')}s`;
  }
  return `${Math.floor(whole / 3600)}h ${String(Math.floor((whole % 3600) / 60)).padStart(2, '0')}m`;
}

/** Every token of a usage, all four kinds. */
export function totalTokens(usage: IUsage): number {
  return usage.input_tokens + usage.output_tokens + usage.cache_read_tokens + usage.cache_write_tokens;
}

/** One line: "$0.42 · 12.3k tokens · 14 turns"; "" before the first turn. */
export function usageLine(usage: IUsage | null | undefined): string {
  if (!usage) {
    return '';
  }
  const turns = `${usage.turns} turn${usage.turns === 1 ? '' : 's'}`;
  return `${dollars(usage.cost)} · ${amount(totalTokens(usage))} tokens · ${turns}`;
}

/** The usage in detail, for a tooltip. */
export function usageTooltip(usage: IUsage | null | undefined): string {
  if (!usage) {
    return 'No model turn yet';
  }
  return [
    `Cost: ${dollars(usage.cost)}${usage.cost === null ? ' (a model has no price in the server’s table)' : ''}`,
    `Input ${amount(usage.input_tokens)} · output ${amount(usage.output_tokens)} · cache read ${amount(usage.cache_read_tokens)} · cache write ${amount(usage.cache_write_tokens)}`,
    `${usage.turns} model turn${usage.turns === 1 ? '' : 's'}, working ${duration(usage.working_seconds)}`,
    `Models: ${usage.models.join(', ') || '—'}`
  ].join('\n');
}

/** When a limit resets, in the browser's time ("resets 23:44"), or that the agent did not say. */
export function limitLine(limit: ILimit | null | undefined): string {
  if (!limit) {
    return '';
  }
  if (!limit.resets_at) {
    return 'reset time unknown';
  }
  const when = new Date(limit.resets_at);
  const sameDay = when.toDateString() === new Date().toDateString();
  const time = when.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
  return sameDay
    ? `resets ${time}`
    : `resets ${when.toLocaleDateString(undefined, { month: 'short', day: 'numeric' })} ${time}`;
}
