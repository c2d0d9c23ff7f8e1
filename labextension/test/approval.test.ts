/**
 * Permission requests: how the card shows a tool's input, the line diff, the
 * pending count, and what a failed answer or message says.
 */
import { describe, expect, it } from 'vitest';

import { ClaudeAPIError } from '../src/api';
import {
  answerFailure,
  describeInput,
  lineDiff,
  pendingCount,
  pendingOf,
  toolVerb
} from '../src/approval';
import { sendFailure } from '../src/messagebox';
import { session, stopped } from './fakes';

const pending = (request: string) => ({
  request,
  tool: 'Bash',
  summary: 'ls',
  asked_at: '2024-05-01T10:00:00+00:00'
});

describe('describeInput', () => {
  it('shows a Bash command as a command, with its description', () => {
    expect(describeInput('Bash', { command: 'touch made.txt', description: 'Make a file' })).toEqual({
      kind: 'command',
      command: 'touch made.txt',
      description: 'Make a file'
    });
    expect(describeInput('Bash', { command: 'ls' })).toMatchObject({ description: '' });
  });

  it('shows a Write as its file and content', () => {
    expect(describeInput('Write', { file_path: '/w/notes.md', content: '# Notes\n' })).toEqual({
      kind: 'file',
      path: '/w/notes.md',
      content: '# Notes\n'
    });
  });

  it('shows an Edit as a diff of its file', () => {
    const view = describeInput('Edit', {
      file_path: '/w/a.py',
      old_string: 'x = 1\ny = 2\n',
      new_string: 'x = 1\ny = 3\n',
      replace_all: true
    });
    expect(view).toEqual({
      kind: 'diff',
      path: '/w/a.py',
      replaceAll: true,
      hunks: [
        [
          { op: ' ', text: 'x = 1' },
          { op: '-', text: 'y = 2' },
          { op: '+', text: 'y = 3' }
        ]
      ]
    });
  });

  it('shows a MultiEdit as one hunk per edit', () => {
    const view = describeInput('MultiEdit', {
      file_path: 'a.txt',
      edits: [
        { old_string: 'a', new_string: 'b' },
        { old_string: 'c', new_string: '' }
      ]
    });
    expect(view).toMatchObject({ kind: 'diff', path: 'a.txt', replaceAll: false });
    expect(view.kind === 'diff' && view.hunks).toEqual([
      [
        { op: '-', text: 'a' },
        { op: '+', text: 'b' }
      ],
      [{ op: '-', text: 'c' }]
    ]);
  });

  it('shows any other tool, or a malformed input, as pretty JSON', () => {
    const input = { url: 'https://example.invalid/', prompt: 'read it' };
    expect(describeInput('WebFetch', input)).toEqual({
      kind: 'json',
      text: JSON.stringify(input, null, 2)
    });
    expect(describeInput('Bash', { command: ['ls'] }).kind).toBe('json');
    expect(describeInput('Write', { file_path: 'a' }).kind).toBe('json');
    expect(describeInput('Edit', { file_path: 'a', old_string: 'x' }).kind).toBe('json');
    expect(describeInput('MultiEdit', { file_path: 'a', edits: [] }).kind).toBe('json');
    expect(describeInput('Bash', null)).toEqual({ kind: 'json', text: 'null' });
  });
});

describe('lineDiff', () => {
  it('keeps common lines and puts removals before additions', () => {
    expect(lineDiff('a\nb\nc\nd', 'a\nB\nc\nd\ne')).toEqual([
      { op: ' ', text: 'a' },
      { op: '-', text: 'b' },
      { op: '+', text: 'B' },
      { op: ' ', text: 'c' },
      { op: ' ', text: 'd' },
      { op: '+', text: 'e' }
    ]);
  });

  it('finds the longest common run in the middle', () => {
    const ops = lineDiff('1\n2\n3\n4\n5', '0\n2\n3\n4\n6').map(line => line.op + line.text);
    expect(ops).toEqual(['-1', '+0', ' 2', ' 3', ' 4', '-5', '+6']);
  });

  it('handles empty sides and a final newline', () => {
    expect(lineDiff('', 'new\n')).toEqual([{ op: '+', text: 'new' }]);
    expect(lineDiff('old\n', '')).toEqual([{ op: '-', text: 'old' }]);
    expect(lineDiff('same\n', 'same')).toEqual([{ op: ' ', text: 'same' }]);
    expect(lineDiff('', '')).toEqual([]);
  });

  it('gives up searching a huge change: all out, all in', () => {
    const before = Array.from({ length: 600 }, (_, i) => `a${i}`).join('\n');
    const after = Array.from({ length: 600 }, (_, i) => `b${i}`).join('\n');
    const lines = lineDiff(`head\n${before}\ntail`, `head\n${after}\ntail`);
    expect(lines).toHaveLength(1202);
    expect(lines[0]).toEqual({ op: ' ', text: 'head' });
    expect(lines.slice(1, 601).every(line => line.op === '-')).toBe(true);
    expect(lines.slice(601, 1201).every(line => line.op === '+')).toBe(true);
    expect(lines[1201]).toEqual({ op: ' ', text: 'tail' });
  });
});

describe('pending requests', () => {
  it('counts the rows waiting on a request', () => {
    const rows = [
      { session: session('1', { state: 'waiting', pending: pending('a') }) },
      { session: session('2', { state: 'waiting', pending: null }) },
      { session: stopped('3') },
      { session: null },
      { session: session('4', { state: 'waiting', pending: pending('b') }) }
    ];
    expect(pendingCount(rows)).toBe(2);
    expect(pendingCount([])).toBe(0);
  });

  it('reads a session from a server that sends no pending field as none', () => {
    expect(pendingOf(session('1'))).toBeNull();
    expect(pendingOf(null)).toBeNull();
    expect(pendingOf(session('1', { pending: pending('a') }))?.request).toBe('a');
  });

  it('names what a tool does', () => {
    expect(['Bash', 'Write', 'Edit', 'MultiEdit', 'WebFetch', 'mcp__x'].map(toolVerb)).toEqual([
      'run',
      'write',
      'edit',
      'edit',
      'fetch',
      'use'
    ]);
  });
});

describe('failures', () => {
  it('says a request answered first elsewhere was answered elsewhere', () => {
    expect(answerFailure(new ClaudeAPIError(409, 'conflict', 'request r1 is no longer pending'))).toEqual({
      elsewhere: true,
      text: 'answered elsewhere'
    });
    expect(answerFailure(new ClaudeAPIError(400, 'bad_request', 'decision must be allow or deny'))).toEqual({
      elsewhere: false,
      text: 'decision must be allow or deny'
    });
    expect(answerFailure(new Error('boom'))).toEqual({ elsewhere: false, text: 'boom' });
  });

  it('says input is turned off on a 403, else the reason', () => {
    expect(sendFailure(new ClaudeAPIError(403, 'forbidden', 'allow_input is off'))).toBe(
      'input is turned off on this server'
    );
    expect(sendFailure(new ClaudeAPIError(404, 'not_found', 'task 42 has no session'))).toBe(
      'task 42 has no session'
    );
    expect(sendFailure(new Error('offline'))).toBe('offline');
  });
});
