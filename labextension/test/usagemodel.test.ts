/** A stopped task keeps what it used: across the events snapshot (live sessions only) and a task list reply that a push overtook. */
import { describe, expect, it } from 'vitest';

import type { IUsage } from '../src/api';
import { ClaudeModel } from '../src/model';
import { FakeAPI, session, settle, stopped, task } from './fakes';

const USED: IUsage = {
  input_tokens: 10,
  output_tokens: 2,
  cache_read_tokens: 0,
  cache_write_tokens: 0,
  turns: 1,
  models: ['m'],
  working_seconds: 1,
  cost: 0.01
};

describe('stopped tasks keep their usage', () => {
  it('through a snapshot that came before the task list', async () => {
    const api = new FakeAPI();
    const model = new ClaudeModel(api.asAPI());
    void model.start();
    api.socket.push({ type: 'snapshot', sessions: [session('live')] }); // overtakes the task list
    api.reply({
      tasks: [task('old', { session: { ...stopped('old'), usage: USED } }), task('live')],
      problems: []
    });
    await settle();
    expect(model.session('old')?.usage).toEqual(USED);
    expect(model.session('live')?.state).toBe('running'); // the push wins for live sessions
    api.socket.push({ type: 'snapshot', sessions: [session('live')] }); // after a reconnect
    expect(model.session('old')?.usage).toEqual(USED);
    model.dispose();
  });

  it('but a session stopped since is stopped', async () => {
    const api = new FakeAPI();
    const model = new ClaudeModel(api.asAPI());
    void model.start();
    api.reply({ tasks: [task('1', { session: session('1') })], problems: [] });
    await settle();
    api.socket.push({ type: 'snapshot', sessions: [] });
    expect(model.session('1')).toBeNull(); // it was live: the snapshot says it is gone
    model.dispose();
  });
});
