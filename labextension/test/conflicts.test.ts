/**
 * The model's conflicts: read with GET claude/conflicts at start, then
 * replaced by every `conflicts` message of claude/events; a reply older than
 * a push received meanwhile is dropped.
 */
import { afterEach, describe, expect, it } from 'vitest';

import { ClaudeModel } from '../src/model';
import { FakeAPI, settle } from './fakes';

describe('ClaudeModel conflicts', () => {
  let model: ClaudeModel | null = null;

  afterEach(() => {
    model?.dispose();
    model = null;
  });

  it('reads them at start and follows the pushes', async () => {
    const api = new FakeAPI();
    api.conflictsReply = {
      conflicts: [{ tasks: ['a', 'b'], files: ['f.txt'], base: false }],
      checked_at: '2026-11-29T10:00:00Z',
      base: 'main'
    };
    model = new ClaudeModel(api.asAPI());
    let changes = 0;
    model.changed.connect(() => (changes += 1));
    void model.start();
    await settle();
    expect(model.conflictsFor('a')).toEqual([{ other: 'b', files: ['f.txt'] }]);
    expect(changes).toBeGreaterThan(0);

    api.socket.push({
      type: 'conflicts',
      conflicts: [{ tasks: ['b', 'BASE'], files: ['g.txt'], base: true }],
      checked_at: '2026-11-29T10:00:05Z',
      base: 'main'
    });
    expect(model.conflictsFor('a')).toEqual([]);
    expect(model.conflictsFor('b')).toEqual([{ other: 'BASE', files: ['g.txt'] }]);

    // A GET answered after that push, but checked before it: the push stays.
    await model.refreshConflicts();
    expect(model.conflictsFor('b')).toEqual([{ other: 'BASE', files: ['g.txt'] }]);
  });
});
