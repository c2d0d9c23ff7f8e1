/** Badges, liveness, the Stop rule, the log warning and the badge tooltip. */
import { describe, expect, it } from 'vitest';

import {
  badgeFor,
  badgeForRow,
  badgeTooltip,
  hasSession,
  isLive,
  logNote
} from '../src/badges';
import { session, stopped } from './fakes';

describe('badgeFor', () => {
  it('shows a missing session as stopped', () => {
    expect(badgeFor(null)).toMatchObject({ state: 'stopped', icon: '⚫', label: 'stopped' });
  });

  it('keeps an unknown state as the state', () => {
    expect(badgeFor(session('1', { state: 'compacting' }))).toMatchObject({
      state: 'compacting',
      icon: '⚪',
      label: 'compacting',
      text: '⚪ compacting'
    });
  });

  it('shows exited without a code as plain exited', () => {
    expect(badgeFor(session('1', { state: 'exited', running: false })).text).toBe('🔴 exited');
  });
});

describe('badgeForRow', () => {
  it('puts an invalid id before anything else', () => {
    expect(badgeForRow({ valid: false, session: null, unknownReason: 'no tmux' })).toMatchObject({
      state: 'invalid',
      text: '✖ invalid id'
    });
  });

  it('shows unknown sessions as unknown, not stopped', () => {
    expect(badgeForRow({ valid: true, session: null, unknownReason: 'no tmux' })).toMatchObject({
      state: 'unknown',
      text: '⚪ unknown'
    });
  });

  it("shows a known session's badge", () => {
    const row = { valid: true, session: session('1', { state: 'idle' }), unknownReason: null };
    expect(badgeForRow(row).text).toBe('🔵 idle');
  });
});

describe('isLive and hasSession', () => {
  it('has no live command without a session', () => {
    expect(isLive(null)).toBe(false);
    expect(hasSession(null)).toBe(false);
  });

  it('trusts the running flag for a state it does not know', () => {
    expect(isLive(session('1', { state: 'compacting', running: true }))).toBe(true);
    expect(isLive(session('1', { state: 'compacting', running: false }))).toBe(false);
  });

  it('lets an exited session be stopped, not a stopped one', () => {
    const exited = session('1', { state: 'exited', running: false, exit_status: 1 });
    expect(isLive(exited)).toBe(false);
    expect(hasSession(exited)).toBe(true);
    expect(hasSession(stopped('1'))).toBe(false);
    expect(hasSession(session('1'))).toBe(true);
  });
});

describe('logNote', () => {
  it('says nothing about a whole log or no log', () => {
    expect(logNote(null)).toBeNull();
    expect(logNote(session('1', { log: 'ok' }))).toBeNull();
    expect(logNote(session('1', { log: null }))).toBeNull();
  });

  it('explains a gap', () => {
    const note = logNote(session('1', { log: 'gap' }));
    expect(note?.text).toBe('⚠ log gap');
    expect(note?.title).toMatch(/died and was restarted.*missing/);
  });

  it('explains a stalled writer', () => {
    const note = logNote(session('1', { log: 'stalled' }));
    expect(note?.text).toBe('⚠ log stalled');
    expect(note?.title).toMatch(/not running/);
  });

  it('explains lost bytes, with or without a count', () => {
    const note = logNote(session('1', { log: 'lost 4096 bytes' }));
    expect(note?.text).toBe('⚠ log: lost 4096 bytes');
    expect(note?.title).toMatch(/disk was full: 4096 bytes/);
    expect(logNote(session('1', { log: 'lost bytes' }))?.title).toMatch(/disk was full: some output/);
  });

  it('shows a health word it does not know as it is', () => {
    expect(logNote(session('1', { log: 'rotating' }))?.text).toBe('⚠ log: rotating');
  });
});

describe('badgeTooltip', () => {
  it('says the state, what it means, when it started and who is attached', () => {
    const row = {
      valid: true,
      invalidReason: null,
      unknownReason: null,
      session: session('1', { state: 'waiting', attached_clients: 2 })
    };
    expect(badgeTooltip(row).split('\n')).toEqual([
      'Session: waiting for you — the agent asks you something (a permission, a question)',
      'Started: 2024-05-01T10:00:00+00:00',
      'Terminals attached: 2'
    ]);
  });

  it('says why the state is unknown', () => {
    const row = { valid: true, invalidReason: null, unknownReason: 'tmux is not installed', session: null };
    expect(badgeTooltip(row)).toBe('Session: unknown\ntmux is not installed');
  });

  it('says why the id is invalid', () => {
    const row = { valid: false, invalidReason: 'invalid task id', unknownReason: null, session: null };
    expect(badgeTooltip(row)).toBe('✖ invalid id\ninvalid task id');
  });
});
