import { test } from 'node:test';
import assert from 'node:assert/strict';
import { terminalField, terminalJson, terminalText } from './terminalText';

const hostile = 'a\u001b]0;title\u0007b\u009b2Jc\r\b\u000e\u000f\u007fd\ne\tf';

test('a field loses every control character, newline and tab included', () => {
  assert.equal(terminalField(hostile), 'a?]0;title?b?2Jc?????d?e?f');
  assert.equal(terminalField('plain ünïcode — ok'), 'plain ünïcode — ok');
});

test('whole text keeps its newlines and tabs and nothing else', () => {
  assert.equal(terminalText(hostile), 'a?]0;title?b?2Jc?????d\ne\tf');
});

test('JSON stays the same data with no raw DEL or C1', () => {
  const value = { name: hostile };
  const text = terminalJson(JSON.stringify(value));
  assert.doesNotMatch(text, /[\u0000-\u001f\u007f-\u009f]/);
  assert.deepEqual(JSON.parse(text), value);
});
