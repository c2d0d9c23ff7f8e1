/**
 * Be told: which settled change calls for a notice, what it says, and the
 * per-task debounce (one notice per settled change, never a storm).
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import type { ISession } from '../src/api';
import {
  INotice,
  NoticeDebouncer,
  noticeFor,
  noticeMessage,
  wantsDesktop
} from '../src/notices';
import { session, stopped } from './fakes';

const BASH = {
  request: 'r1',
  tool: 'Bash',
  summary: 'touch made.txt',
  asked_at: '2024-05-01T10:00:00+00:00'
};

function at(state: string, overrides: Partial<ISession> = {}, id = '42'): ISession {
  return session(id, { state, ...overrides });
}

describe('noticeFor', () => {
  it('tells when a task starts waiting, with or without a request', () => {
    expect(noticeFor(at('working'), at('waiting', { pending: BASH }))).toBe('waiting');
    expect(noticeFor(at('working'), at('waiting'))).toBe('waiting');
    expect(noticeFor(null, at('waiting'))).toBe('waiting');
  });

  it('tells about a new request while still waiting, not about the same one again', () => {
    const second = { ...BASH, request: 'r2', summary: 'rm -rf build' };
    expect(noticeFor(at('waiting', { pending: BASH }), at('waiting', { pending: second }))).toBe('waiting');
    expect(noticeFor(at('waiting', { pending: BASH }), at('waiting', { pending: BASH }))).toBeNull();
    expect(noticeFor(at('waiting'), at('waiting', { pending: BASH }))).toBe('waiting');
    expect(noticeFor(at('waiting', { pending: BASH }), at('waiting', { pending: null }))).toBeNull();
  });

  it('takes a pending request as waiting whatever the state says', () => {
    expect(noticeFor(at('working'), at('working', { pending: BASH }))).toBe('waiting');
  });

  it('tells when a turn ends: idle after working or waiting, not after starting', () => {
    expect(noticeFor(at('working'), at('idle'))).toBe('idle');
    expect(noticeFor(at('waiting', { pending: BASH }), at('idle'))).toBe('idle');
    expect(noticeFor(at('limited'), at('idle'))).toBe('idle');
    expect(noticeFor(at('queued'), at('idle'))).toBeNull();
    expect(noticeFor(stopped('42'), at('idle'))).toBeNull();
    expect(noticeFor(null, at('idle'))).toBeNull();
    expect(noticeFor(at('idle'), at('idle'))).toBeNull();
  });

  it('tells when a task exits, once', () => {
    const exited = at('exited', { running: false, exit_status: 3 });
    expect(noticeFor(at('working'), exited)).toBe('exited');
    expect(noticeFor(null, exited)).toBe('exited');
    expect(noticeFor(exited, exited)).toBeNull();
    // Run again, and exited again before the first change settled: that run's exit is told too.
    const first = at('exited', { running: false, exit_status: 3, started_at: '2024-05-01T10:00:00+00:00' });
    const again = at('exited', { running: false, exit_status: 3, started_at: '2024-05-01T10:00:05+00:00' });
    expect(noticeFor(first, again)).toBe('exited');
    expect(noticeFor(first, first)).toBeNull();
  });

  it('says nothing about working, running, stopped or a state it does not know', () => {
    expect(noticeFor(at('idle'), at('working'))).toBeNull();
    expect(noticeFor(null, at('running'))).toBeNull();
    expect(noticeFor(at('working'), stopped('42'))).toBeNull();
    expect(noticeFor(at('working'), at('compacting'))).toBeNull();
  });
});

describe('noticeMessage', () => {
  const notice = (kind: INotice['kind'], after: ISession): INotice => ({
    kind,
    id: '42',
    session: after,
    pending: after.pending ?? null
  });

  it('speaks the vocabulary', () => {
    expect(noticeMessage(notice('waiting', at('waiting', { pending: BASH })))).toBe(
      'Task 42 is 🟡 waiting for you: Bash — touch made.txt'
    );
    expect(noticeMessage(notice('waiting', at('waiting')))).toBe('Task 42 is 🟡 waiting for you');
    expect(noticeMessage(notice('idle', at('idle')))).toBe('Task 42 finished its turn: 🔵 idle');
    expect(noticeMessage(notice('exited', at('exited', { exit_status: 3 })))).toBe(
      'Task 42 🔴 exited (3)'
    );
  });

  it('keeps to 140 characters', () => {
    const long = { ...BASH, summary: 'x'.repeat(300) };
    const text = noticeMessage(notice('waiting', at('waiting', { pending: long })));
    expect(text.length).toBe(140);
    expect(text.endsWith('…')).toBe(true);
  });
});

describe('NoticeDebouncer', () => {
  let notices: INotice[];
  let settled: ISession[];
  let debouncer: NoticeDebouncer;

  beforeEach(() => {
    vi.useFakeTimers();
    notices = [];
    settled = [];
    debouncer = new NoticeDebouncer({
      notify: notice => notices.push(notice),
      settled: after => settled.push(after)
    });
  });

  afterEach(() => {
    debouncer.dispose();
    vi.useRealTimers();
  });

  const kinds = () => notices.map(notice => `${notice.id}:${notice.kind}`);

  it('tells nothing about the first snapshot', () => {
    debouncer.snapshot([at('waiting', { pending: BASH }), at('exited', {}, '7')]);
    vi.advanceTimersByTime(5000);
    expect(notices).toEqual([]);
  });

  it('tells once a change has kept still for a second', () => {
    debouncer.snapshot([at('working')]);
    debouncer.update(at('waiting', { pending: BASH }));
    vi.advanceTimersByTime(999);
    expect(notices).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(kinds()).toEqual(['42:waiting']);
    expect(notices[0].pending).toEqual(BASH);
    expect(notices[0].session.state).toBe('waiting');
  });

  it('gives a task that flips within a second one notice, about where it settled', () => {
    debouncer.snapshot([at('idle')]);
    for (let flip = 0; flip < 5; flip++) {
      debouncer.update(at('working'));
      vi.advanceTimersByTime(100);
      debouncer.update(at('waiting', { pending: BASH }));
      vi.advanceTimersByTime(100);
    }
    vi.advanceTimersByTime(1000);
    expect(kinds()).toEqual(['42:waiting']);
    expect(settled).toHaveLength(1);
  });

  it('tells nothing when the flips end where they began', () => {
    debouncer.snapshot([at('working')]);
    debouncer.update(at('waiting', { pending: BASH }));
    vi.advanceTimersByTime(300);
    debouncer.update(at('working')); // answered in the terminal at once
    vi.advanceTimersByTime(2000);
    expect(notices).toEqual([]);
    expect(settled.map(s => s.state)).toEqual(['working']);
  });

  it('reports a task that never keeps still after five seconds', () => {
    debouncer.snapshot([at('idle')]);
    for (let tick = 0; tick < 60; tick++) {
      debouncer.update(at(tick % 2 ? 'waiting' : 'working'));
      vi.advanceTimersByTime(100);
    }
    // 6 s of flipping every 100 ms: settled at 5 s (waiting), then once quiet (waiting again).
    expect(settled.map(s => s.state)).toEqual(['waiting']);
    vi.advanceTimersByTime(1000);
    expect(settled.map(s => s.state)).toEqual(['waiting', 'waiting']);
    expect(kinds()).toEqual(['42:waiting']);
  });

  it('debounces each task on its own', () => {
    debouncer.snapshot([at('working', {}, '1'), at('working', {}, '2')]);
    debouncer.update(at('idle', {}, '1'));
    vi.advanceTimersByTime(600);
    debouncer.update(at('exited', { running: false, exit_status: 0 }, '2'));
    vi.advanceTimersByTime(400);
    expect(kinds()).toEqual(['1:idle']);
    vi.advanceTimersByTime(600);
    expect(kinds()).toEqual(['1:idle', '2:exited']);
  });

  it('tells the whole story over time: waiting, then the turn ends, then it exits', () => {
    debouncer.snapshot([at('working')]);
    debouncer.update(at('waiting', { pending: BASH }));
    vi.advanceTimersByTime(1500);
    debouncer.update(at('working'));
    vi.advanceTimersByTime(1500);
    debouncer.update(at('idle'));
    vi.advanceTimersByTime(1500);
    debouncer.update(at('exited', { running: false, exit_status: 0 }));
    vi.advanceTimersByTime(1500);
    expect(kinds()).toEqual(['42:waiting', '42:idle', '42:exited']);
  });

  it('treats a later snapshot (after a reconnect) as changes', () => {
    debouncer.snapshot([at('working')]);
    debouncer.snapshot([at('idle')]);
    vi.advanceTimersByTime(1000);
    expect(kinds()).toEqual(['42:idle']);
  });

  it('tells about a task first seen in a push', () => {
    debouncer.snapshot([]);
    debouncer.update(at('exited', { running: false, exit_status: 1 }, 'new'));
    vi.advanceTimersByTime(1000);
    expect(kinds()).toEqual(['new:exited']);
  });

  it('drops pending timers when disposed', () => {
    debouncer.snapshot([at('working')]);
    debouncer.update(at('idle'));
    expect(debouncer.unsettled).toBe(1);
    debouncer.dispose();
    vi.advanceTimersByTime(5000);
    expect(notices).toEqual([]);
  });
});

describe('wantsDesktop', () => {
  it('shows the browser notification only opted in, in the background, with permission', () => {
    expect(wantsDesktop(true, true, 'granted')).toBe(true);
    expect(wantsDesktop(false, true, 'granted')).toBe(false);
    expect(wantsDesktop(true, false, 'granted')).toBe(false);
    expect(wantsDesktop(true, true, 'default')).toBe(false);
    expect(wantsDesktop(true, true, 'denied')).toBe(false);
    expect(wantsDesktop(true, true, null)).toBe(false);
  });
});
