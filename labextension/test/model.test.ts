/**
 * The model: rows merged from tasks and sessions, banners, unknown session
 * states, and the rule that a push is newer than a REST reply sent before it.
 */
import { afterEach, describe, expect, it } from 'vitest';

import { ClaudeAPIError } from '../src/api';
import { bannerFor, ClaudeModel, LISTING_FIELDS, mergeRows, sessionsBanner } from '../src/model';
import { FakeAPI, session, settle, stopped, task } from './fakes';

const NO_TMUX = {
  error: 'tmux_not_found',
  reason: 'tmux is not installed or not on PATH: install it with `sudo apt-get install tmux`'
};

describe('mergeRows', () => {
  it('keeps the tasks in order, then sessions without a task by id', () => {
    const tasks = [task('b'), task('a', { valid: false, invalid_reason: 'bad id', session: null })];
    const sessions = new Map(
      ['10', '9', 'b', 'x'].map(id => [id, session(id)] as const)
    );
    const rows = mergeRows(tasks, sessions, null);
    expect(rows.map(row => row.id)).toEqual(['b', 'a', '9', '10', 'x']);
    expect(rows[0]).toEqual({
      id: 'b',
      title: 'Task b',
      status: '🟡 To Do',
      path: 'tasks/b.md',
      valid: true,
      invalidReason: null,
      session: session('b'),
      unknownReason: null
    });
    expect(rows[1]).toMatchObject({ valid: false, invalidReason: 'bad id', session: null });
    expect(rows[2]).toMatchObject({ title: null, status: null, path: null, valid: true });
  });

  it('gives a task without a known session none', () => {
    expect(mergeRows([task('1')], new Map(), null)[0].session).toBeNull();
  });

  it('hides every session while their states are unknown', () => {
    const rows = mergeRows([task('1')], new Map([['1', session('1')], ['2', session('2')]]), NO_TMUX);
    expect(rows.map(row => [row.id, row.session, row.unknownReason])).toEqual([
      ['1', null, NO_TMUX.reason],
      ['2', null, NO_TMUX.reason]
    ]);
  });
});

describe('banners', () => {
  it('maps API errors', () => {
    expect(bannerFor(new ClaudeAPIError(404, 'not_found', 'Not Found'))).toMatchObject({
      kind: 'no-extension',
      title: 'Server extension not enabled'
    });
    expect(bannerFor(new ClaudeAPIError(503, 'tmux_not_found', 'tmux is not installed'))).toEqual({
      kind: 'no-tmux',
      title: 'tmux is missing',
      message: 'tmux is not installed'
    });
    expect(bannerFor(new ClaudeAPIError(500, 'tmux_error', 'tmux said no'))).toEqual({
      kind: 'error',
      title: 'Claude sessions unavailable',
      message: 'tmux said no'
    });
    expect(bannerFor(new Error('boom'))).toMatchObject({ kind: 'error', message: 'boom' });
  });

  it('maps a sessions error', () => {
    expect(sessionsBanner(null)).toBeNull();
    expect(sessionsBanner(NO_TMUX)).toEqual({
      kind: 'no-tmux',
      title: 'tmux is missing',
      message: NO_TMUX.reason
    });
    expect(sessionsBanner({ error: 'tmux_error', reason: 'no server socket' })).toEqual({
      kind: 'no-sessions',
      title: 'Session states unknown',
      message: 'no server socket'
    });
  });
});

describe('ClaudeModel', () => {
  let model: ClaudeModel | null = null;

  afterEach(() => {
    model?.dispose();
    model = null;
  });

  /** A started model, its fake API and a counter of `changed` emissions. */
  function startModel(): { api: FakeAPI; model: ClaudeModel; changes: () => number } {
    const api = new FakeAPI();
    model = new ClaudeModel(api.asAPI());
    let count = 0;
    model.changed.connect(() => (count += 1));
    void model.start();
    api.socket.onopen?.();
    return { api, model, changes: () => count };
  }

  it('lists the reply and its sessions', async () => {
    const { api, model } = startModel();
    expect(model.loaded).toBe(false);
    api.reply({ tasks: [task('1', { session: session('1') }), task('2')], problems: [] });
    await settle();
    expect(model.loaded).toBe(true);
    expect(model.banner).toBeNull();
    expect(model.rows.map(row => row.session?.state)).toEqual(['running', 'stopped']);
    expect(model.badge('1').text).toBe('🟢 running');
  });

  it('keeps a push that came while the task list was on its way', async () => {
    const { api, model } = startModel(); // start's task list request is on its way
    api.socket.push({ type: 'session', event: 'started', session: session('1') });
    api.reply({ tasks: [task('1')], problems: [] }); // says stopped: older than the push
    await settle();
    expect(model.session('1')?.state).toBe('running');
    expect(model.rows.map(row => row.id)).toEqual(['1']);
  });

  it('reads the task list again when task files changed, after the read under way', async () => {
    const { api, model } = startModel(); // start's task list request is on its way
    api.socket.push({ type: 'tasks' }); // the files changed meanwhile: that reply may predate it
    api.socket.push({ type: 'tasks' });
    expect(api.pending).toBe(1);
    api.reply({ tasks: [task('1')], problems: [] });
    await settle();
    expect(api.pending).toBe(1); // one more read, not one per push
    api.reply({ tasks: [task('1'), task('2')], problems: [] });
    await settle();
    expect(model.rows.map(row => row.id)).toEqual(['1', '2']);
    api.socket.push({ type: 'tasks' }); // nothing under way: read at once
    expect(api.pending).toBe(1);
    api.reply({ tasks: [task('1'), task('2'), task('3')], problems: [] });
    await settle();
    expect(model.rows.map(row => row.id)).toEqual(['1', '2', '3']);
  });

  it('drops a REST reply older than a push, keeps one that is not', () => {
    const { api, model } = startModel();
    const since = model.pushes;
    api.socket.push({ type: 'session', event: 'stopped', session: stopped('1') });
    model.updateSession(session('1'), since);
    expect(model.session('1')?.state).toBe('stopped');

    model.updateSession(session('1'), model.pushes);
    expect(model.session('1')?.state).toBe('running');

    model.updateSession(session('1', { state: 'idle' }));
    expect(model.session('1')?.state).toBe('idle');
  });

  it('replaces sessions with a snapshot and updates them with pushes', () => {
    const { api, model, changes } = startModel();
    api.socket.push({ type: 'snapshot', sessions: [session('1'), session('2')] });
    api.socket.push({ type: 'session', event: 'state', session: session('2', { state: 'waiting' }) });
    expect(model.rows.map(row => [row.id, model.badge(row.id).text])).toEqual([
      ['1', '🟢 running'],
      ['2', '🟡 waiting for you']
    ]);
    api.socket.push({ type: 'snapshot', sessions: [session('2')] });
    expect(model.session('1')).toBeNull();
    expect(model.pushes).toBe(3);
    expect(changes()).toBe(3);
  });

  it('counts the sessions waiting on a permission request, none while states are unknown', () => {
    const { api, model } = startModel();
    const pending = { request: 'r1', tool: 'Bash', summary: 'ls', asked_at: '2024-05-01T10:00:00+00:00' };
    api.socket.push({
      type: 'snapshot',
      sessions: [session('1', { pending }), session('2'), session('3', { pending: { ...pending, request: 'r2' } })]
    });
    expect(model.pendingCount).toBe(2);
    api.socket.push({ type: 'session', event: 'state', session: session('1', { pending: null }) });
    expect(model.pendingCount).toBe(1);
    api.socket.push({ type: 'error', error: 'tmux_error', reason: 'tmux crashed' });
    expect(model.pendingCount).toBe(0);
  });

  it('shows sessions as unknown, with a banner, when the reply says tmux is missing', async () => {
    const { api, model } = startModel();
    api.reply({
      tasks: [task('1', { session: null }), task('bad id', { valid: false, session: null })],
      problems: [],
      sessions_error: NO_TMUX
    });
    await settle();
    expect(model.sessionsError).toEqual(NO_TMUX);
    expect(model.banner).toEqual({ kind: 'no-tmux', title: 'tmux is missing', message: NO_TMUX.reason });
    expect(model.badge('1')).toMatchObject({ state: 'unknown', text: '⚪ unknown' });
    expect(model.badge('bad id').text).toBe('✖ invalid id');
    expect(model.rows[0].unknownReason).toBe(NO_TMUX.reason);
  });

  it('knows sessions again once tmux answers', async () => {
    const { api, model } = startModel();
    api.reply({ tasks: [task('1', { session: session('1') })], problems: [] });
    await settle();

    api.socket.push({ type: 'error', error: 'tmux_error', reason: 'tmux crashed' });
    expect(model.session('1')).toBeNull();
    expect(model.badge('1').text).toBe('⚪ unknown');
    expect(model.banner).toMatchObject({ kind: 'no-sessions', message: 'tmux crashed' });

    // The next push means tmux answers: the others are listed again.
    api.socket.push({ type: 'session', event: 'state', session: session('1', { state: 'idle' }) });
    expect(model.sessionsError).toBeNull();
    expect(model.banner).toBeNull();
    expect(model.badge('1').text).toBe('🔵 idle');
    expect(api.pending).toBe(1);
  });

  it('ignores a stale sessions error when a push came meanwhile', async () => {
    const { api, model } = startModel();
    api.socket.push({ type: 'snapshot', sessions: [session('1')] });
    api.reply({ tasks: [task('1', { session: null })], problems: [], sessions_error: NO_TMUX });
    await settle();
    expect(model.sessionsError).toBeNull();
    expect(model.badge('1').text).toBe('🟢 running');
  });

  it('shows a banner when the task list fails, and clears it on success', async () => {
    const { api, model } = startModel();
    api.reply(new ClaudeAPIError(404, 'not_found', 'Not Found'));
    await settle();
    expect(model.banner?.kind).toBe('no-extension');
    expect(model.loaded).toBe(false);
    void model.refresh();
    api.reply({ tasks: [], problems: [{ path: 'tasks/x.md', reason: 'bad YAML' }] });
    await settle();
    expect(model.banner).toBeNull();
    expect(model.problems).toEqual([{ path: 'tasks/x.md', reason: 'bad YAML' }]);
  });

  it('raises a banner only for errors that stop the panel', () => {
    const { model } = startModel();
    model.noteError(new ClaudeAPIError(500, 'tmux_error', 'tmux said no'));
    expect(model.banner).toBeNull();
    model.noteError(new ClaudeAPIError(503, 'tmux_not_found', 'tmux is not installed'));
    expect(model.banner?.kind).toBe('no-tmux');
  });

  it('finds the task of a contents path', async () => {
    const { api, model } = startModel();
    api.reply({ tasks: [task('42')], problems: [] });
    await settle();
    for (const path of ['tasks/42.md', './tasks/42.md', '/tasks/42.md', 'drive:tasks/42.md']) {
      expect(model.idForPath(path)).toBe('42');
    }
    expect(model.idForPath('tasks/43.md')).toBeNull();
  });
});

describe('ClaudeModel and the task board', () => {
  let model: ClaudeModel | null = null;

  afterEach(() => {
    model?.dispose();
    model = null;
  });

  function loaded(): { api: FakeAPI; model: ClaudeModel } {
    const api = new FakeAPI();
    model = new ClaudeModel(api.asAPI());
    void model.start();
    api.socket.onopen?.();
    return { api, model };
  }

  it('asks for a compact listing and takes its sessions as the whole truth', async () => {
    const { api, model } = loaded();
    expect(api.lastOptions).toEqual({ fields: LISTING_FIELDS });
    model.updateSession(session('9'));
    api.reply({
      tasks: [task('1', { session: undefined }), task('2', { session: undefined })],
      problems: [],
      sessions: [session('2', { state: 'waiting' })]
    });
    await settle();
    expect(model.rows.map(row => [row.id, model.badge(row.id).state])).toEqual([
      ['1', 'stopped'],
      ['2', 'waiting']
    ]);
    expect(model.session('9')).toBeNull();
  });

  it('finds tasks and rows by id, and makes rows once per change', async () => {
    const { api, model } = loaded();
    api.reply({ tasks: [task('1'), task('2')], problems: [] });
    await settle();
    expect(model.rows).toBe(model.rows);
    expect(model.task('2')?.title).toBe('Task 2');
    expect(model.row('2')?.title).toBe('Task 2');
    expect(model.task('3')).toBeNull();
    const before = model.rows;
    api.socket.push({ type: 'session', event: 'started', session: session('2') });
    expect(model.rows).not.toBe(before);
    expect(model.row('2')?.session?.state).toBe('running');
  });

  it('puts a created or moved task in place, body left out', async () => {
    const { api, model } = loaded();
    api.reply({ tasks: [task('1')], problems: [] });
    await settle();
    model.updateTask({ ...task('1', { status: 'Done', version: 'v2' }), body: 'text' } as never);
    model.updateTask(task('new'));
    expect(model.tasks.map(t => [t.id, t.status, t.version])).toEqual([
      ['1', 'Done', 'v2'],
      ['new', '🟡 To Do', 'v1']
    ]);
    expect('body' in model.task('1')!).toBe(false);
  });
});
