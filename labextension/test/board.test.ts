/**
 * The board's rules match the server's: the same table of cases is checked
 * here and by tests/core/test_board.py against jupyter_claude/core/board.py.
 */
import { describe, expect, it } from 'vitest';

import {
  cardCompare,
  cardMarks,
  columnKey,
  columnOf,
  DEFAULT_COLUMNS,
  naturalCompare,
  OTHER,
  priorityRank
} from '../src/board';
import cases from './board-cases.json';

describe('the shared board cases', () => {
  it('use the same default columns and Other', () => {
    expect(DEFAULT_COLUMNS).toEqual(cases.columns);
    expect(OTHER).toBe(cases.other);
  });

  it.each(cases.column_of)('puts status $status in $column', ({ status, column }) => {
    expect(columnOf(status, cases.columns)).toBe(column);
  });

  it.each(cases.column_of_custom.cases)('puts $status in $column of custom columns', ({ status, column }) => {
    expect(columnOf(status, cases.column_of_custom.columns)).toBe(column);
  });

  it.each(cases.column_key)('reads $text as $key', ({ text, key }) => {
    expect(columnKey(text)).toBe(key);
  });

  it('orders cards by priority, then id in natural order', () => {
    const sorted = [...cases.card_order.cards].sort(cardCompare).map(card => card.id);
    expect(sorted).toEqual(cases.card_order.order);
  });

  it('orders ids naturally', () => {
    expect([...cases.natural_order.ids].sort(naturalCompare)).toEqual(cases.natural_order.order);
  });
});

describe('priorities and marks', () => {
  it('ranks priority words as the vocabulary says', () => {
    expect(priorityRank('⏫ Critical')).toBe(0);
    expect(priorityRank('lowest')).toBe(4);
    expect(priorityRank('Low')).toBe(3);
    expect(priorityRank('soon')).toBe(5);
    expect(priorityRank(null)).toBe(6);
  });

  it('shows no marks when the fields are absent', () => {
    expect(cardMarks({ id: '1' }, null, undefined)).toEqual([]);
    expect(cardMarks({ pending: null, conflicts: [], usage: null })).toEqual([]);
  });

  it('shows a pending request, conflicts and usage where they exist', () => {
    const marks = cardMarks(
      { conflicts: ['a.py', 'b.py'] },
      { pending: { tool_name: 'Bash' }, usage: { input_tokens: 1200, output_tokens: 300 } }
    );
    expect(marks.map(mark => [mark.kind, mark.text])).toEqual([
      ['pending', '⚑ request'],
      ['conflicts', '⚠ 2 conflicts'],
      ['usage', '1.5k tok']
    ]);
    expect(marks[0].title).toContain('Bash');
    expect(marks[1].title).toContain('a.py, b.py');
    expect(cardMarks({ usage: { cost_usd: 0.4213 }, conflicts: 1 }).map(mark => mark.text)).toEqual([
      '⚠ 1 conflict',
      '$0.42'
    ]);
  });

  it("shows the model's conflicts of a task: with whom, and where", () => {
    const [mark] = cardMarks(null, null, {
      conflicts: [
        { other: 'b', files: ['f.txt'] },
        { other: 'BASE', files: ['g.txt', 'h.txt'] }
      ]
    });
    expect(mark.kind).toBe('conflicts');
    expect(mark.text).toBe('⚠ 2 conflicts');
    expect(mark.title).toBe('Conflicts with task b in f.txt; with the base in g.txt, h.txt');
    expect(cardMarks(null, null, { conflicts: [] })).toEqual([]);
  });
});
