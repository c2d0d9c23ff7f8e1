/** The usage line, its tooltip, the limit's reset words, and the notice when a task turns limited. */
import { describe, expect, it } from 'vitest';

import type { IUsage } from '../src/api';
import { cardMarks } from '../src/board';
import { noticeFor, noticeMessage } from '../src/notices';
import { amount, dollars, duration, limitLine, usageLine, usageTooltip } from '../src/usage';
import { session } from './fakes';

const USAGE: IUsage = {
  input_tokens: 12_000,
  output_tokens: 300,
  cache_read_tokens: 0,
  cache_write_tokens: 45,
  turns: 14,
  models: ['claude-sonnet-4-5-20250929'],
  working_seconds: 192.4,
  cost: 0.4215
};

describe('usage words', () => {
  it('reads like the Python side', () => {
    expect([amount(950), amount(12_345), amount(12_000), amount(4_100_000)]).toEqual([
      '950',
      '12.3k',
      '12k',
      '4.1M'
    ]);
    expect([dollars(0.4215), dollars(0.004), dollars(0), dollars(1234.5), dollars(null)]).toEqual([
      '$0.42',
      '<$0.01',
      '$0.00',
      '$1,234.50',
      'cost unknown'
    ]);
    expect([duration(45), duration(192.4), duration(7500)]).toEqual(['45s', '3m 12s', '2h 05m']);
  });

  it('makes one line, and nothing before the first turn', () => {
    expect(usageLine(USAGE)).toBe('$0.42 · 12.3k tokens · 14 turns');
    expect(usageLine({ ...USAGE, turns: 1, cost: null })).toBe('cost unknown · 12.3k tokens · 1 turn');
    expect(usageLine(null)).toBe('');
    expect(usageLine(undefined)).toBe('');
  });

  it('details every figure in the tooltip', () => {
    const text = usageTooltip(USAGE);
    expect(text).toContain('Input 12k · output 300 · cache read 0 · cache write 45');
    expect(text).toContain('14 model turns, working 3m 12s');
    expect(text).toContain('claude-sonnet-4-5-20250929');
    expect(usageTooltip({ ...USAGE, cost: null })).toContain('has no price');
  });

  it('says when a limit resets only when the agent said so', () => {
    expect(limitLine({ reason: 'API Error: Request rejected (429)', resets_at: null })).toBe(
      'reset time unknown'
    );
    const soon = new Date(Date.now() + 60_000).toISOString();
    expect(limitLine({ reason: "You've hit your session limit", resets_at: soon })).toMatch(/^resets \d/);
    expect(limitLine(null)).toBe('');
  });
});

describe('a limit notice', () => {
  const limit = { reason: "You've hit your session limit · resets 11:44pm (UTC)", resets_at: null };

  it('comes when a task turns limited, once', () => {
    expect(noticeFor(session('1', { state: 'working' }), session('1', { state: 'limited', limit }))).toBe(
      'limited'
    );
    expect(noticeFor(null, session('1', { state: 'limited', limit }))).toBe('limited');
    expect(
      noticeFor(session('1', { state: 'limited', limit }), session('1', { state: 'limited', limit }))
    ).toBeNull();
  });

  it("says what the agent said, and when it resets when known", () => {
    const after = session('7', { state: 'limited', limit });
    expect(noticeMessage({ kind: 'limited', id: '7', session: after, pending: null })).toBe(
      "Task 7 is ⏳ rate-limited, reset time unknown: You've hit your session limit · resets 11:44pm (UTC)"
    );
    const bare = session('7', { state: 'limited', limit: null });
    expect(noticeMessage({ kind: 'limited', id: '7', session: bare, pending: null })).toBe(
      'Task 7 is ⏳ rate-limited'
    );
  });
});

describe('a board card', () => {
  it("shows the task's cost, or its tokens when a model has no price", () => {
    const [mark] = cardMarks({ usage: USAGE });
    expect(mark).toMatchObject({ kind: 'usage', text: '$0.42' });
    expect(mark.title).toContain('14 model turns, working 3m 12s');
    expect(cardMarks({ usage: { ...USAGE, cost: null } })[0].text).toBe('12.3k tok');
  });
});
