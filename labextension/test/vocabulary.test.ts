/// <reference types="vite/client" />
/**
 * The extension shows session states in the words of src/vocabulary.json (the
 * Python package's table), and nowhere else spells them.
 */
import { describe, expect, it } from 'vitest';

import { badgeFor, badgeOf, badgeForRow, isLive } from '../src/badges';
import table from '../src/vocabulary.json';
import {
  INVALID,
  isKnownState,
  LIVE_STATES,
  stateLabel,
  STATES,
  stateWords,
  UNKNOWN
} from '../src/vocabulary';
import { session } from './fakes';

describe('the vocabulary table', () => {
  it('is the JSON, state by state', () => {
    expect(STATES).toEqual(table.states);
    for (const entry of table.states) {
      expect(stateWords(entry.name)).toEqual(entry);
      expect(isKnownState(entry.name)).toBe(true);
    }
    expect(UNKNOWN).toEqual(table.unknown);
    expect(INVALID).toBe(table.invalid);
  });

  it('has the live states of the JSON', () => {
    expect([...LIVE_STATES].sort()).toEqual(
      table.states.filter(s => s.live).map(s => s.name).sort()
    );
  });

  it('shows an unknown state with the unknown icon and its own name', () => {
    expect(isKnownState('frobbing')).toBe(false);
    expect(stateWords('frobbing')).toMatchObject({
      name: 'frobbing',
      icon: table.unknown.icon,
      label: 'frobbing',
      live: false
    });
    expect(stateWords('').label).toBe(table.unknown.label);
  });

  it('labels exited with its code', () => {
    expect(stateLabel('exited', 3)).toBe('exited (3)');
    expect(stateLabel('exited', 0)).toBe('exited (0)');
    expect(stateLabel('exited')).toBe('exited');
    expect(stateLabel('running', 3)).toBe('running');
  });
});

describe('badges in the vocabulary words', () => {
  it('gives every state its icon and label', () => {
    for (const entry of table.states) {
      const badge = badgeOf(entry.name);
      expect(badge.text).toBe(`${entry.icon} ${entry.label}`);
      expect(badge.description).toBe(entry.description);
    }
  });

  it('says the texts the browser tests read', () => {
    expect(badgeFor(session('42')).text).toBe('🟢 running');
    expect(badgeFor(null).text).toBe('⚫ stopped');
    expect(badgeFor(session('42', { state: 'exited', running: false, exit_status: 3 })).text).toBe(
      '🔴 exited (3)'
    );
    expect(badgeFor(session('42', { state: 'waiting' })).text).toBe('🟡 waiting for you');
  });

  it('marks invalid ids and unknown sessions with the JSON texts', () => {
    const invalid = badgeForRow({ valid: false, session: null, unknownReason: null });
    expect(invalid.text).toBe(table.invalid);
    const unknown = badgeForRow({ valid: true, session: null, unknownReason: 'no tmux' });
    expect(unknown.text).toBe(`${table.unknown.icon} ${table.unknown.label}`);
  });

  it('takes liveness from the JSON', () => {
    for (const entry of table.states) {
      const running = entry.live;
      expect(isLive(session('1', { state: entry.name, running }))).toBe(entry.live);
      // The flag does not overrule a state the vocabulary knows.
      expect(isLive(session('1', { state: entry.name, running: !running }))).toBe(entry.live);
    }
  });
});

describe('the source', () => {
  const icons = [...table.states.map(s => s.icon), table.unknown.icon, table.invalid];
  // Every source and style file's text, by path (vite reads them).
  const sources: Record<string, string> = import.meta.glob(['../src/*.ts', '../style/*.css'], {
    query: '?raw',
    import: 'default',
    eager: true
  });

  it('reads the sources', () => {
    expect(Object.keys(sources)).toContain('../src/sidebar.ts');
    expect(Object.keys(sources)).toContain('../style/base.css');
  });

  it.each(Object.entries(sources))('%s spells no state icon', (file, text) => {
    for (const icon of icons) {
      expect(text.includes(icon), `${file} spells ${icon}`).toBe(false);
    }
  });
});
