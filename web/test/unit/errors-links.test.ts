// Unit tests of the error screen's words (one table for close codes, HTTP statuses and client-side
// failures, never a raw code in the text) and of reading a meeting ID out of a pasted link.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MEETING_ENDED, MeetingError, describeError, errorDetails } from '../../src/errors';
import { meetingIdFromInput, meetingLink } from '../../src/invite/link';

const CODES: (number | string)[] = [
  4400, 4401, 4403, 4404, 4405, 4406, 4408, 4409, 4410, 4413, 4429, 4500, 4503, 4430, 4431, 4432, MEETING_ENDED, 4499,
  400, 401, 403, 404, 410, 429, 500, 502, 503, 418, 1006, 1000,
  'network', 'transport', 'timeout', 'disconnected', 'bad_response', 'client', 'something-new',
];

test('every failure has plain words and a next step, without its raw code', () => {
  for (const code of CODES) {
    const error = new MeetingError('Disconnected by the server', `raw server text (code ${code})`, code);
    const { title, message, action } = describeError(error);
    for (const text of [title, message, action]) {
      assert.ok(text.length > 5, `${code}: text present`);
      assert.doesNotMatch(text, /\b\d{3,4}\b/, `${code}: "${text}" shows no number`);
      assert.doesNotMatch(text, /raw server text|HTTP|code|_/i, `${code}: "${text}" shows no raw detail`);
    }
    // The raw code and message are kept for the Details expander.
    assert.match(errorDetails(error), new RegExp(String(code)));
    assert.match(errorDetails(error), /raw server text/);
  }
});

test('the screens people hit most say what happened', () => {
  const words = (code: number | string) => describeError(new MeetingError('t', 'm', code));
  assert.match(words('network').title, /reach/);
  assert.match(words(4401).title, /access/);
  assert.match(words(401).title, /access/);
  assert.equal(words(4401).retry, true);
  assert.match(words(MEETING_ENDED).title, /ended/);
  assert.equal(words(MEETING_ENDED).retry, false, 'no "Try again" for an ended meeting');
  assert.match(words(4410).title, /full/);
  assert.match(words(4409).title, /another window/);
  assert.match(words(4431).title, /removed/);
  // Removed or declined: asking again is up to the host; barred: nothing to retry.
  assert.equal(words(4431).retryLabel, 'Ask to join again');
  assert.equal(words(4430).retryLabel, 'Ask to join again');
  assert.equal(words(4432).retry, false);
});

test('a pasted meeting link gives its meeting ID; plain IDs pass through', () => {
  assert.equal(meetingIdFromInput('team-standup'), 'team-standup');
  assert.equal(meetingIdFromInput('  team-standup \n'), 'team-standup');
  assert.equal(meetingIdFromInput('https://call.example.com/meeting/abc-123'), 'abc-123');
  assert.equal(meetingIdFromInput('http://192.168.1.20:8080/meeting/abc_1/?lowcpu=1#x'), 'abc_1');
  assert.equal(meetingIdFromInput('call.example.com:8443/meeting/q1'), 'q1');
  assert.equal(meetingIdFromInput('/meeting/q2?x=1'), 'q2');
  assert.equal(meetingIdFromInput(meetingLink('https://h.example', 'round-trip')), 'round-trip');
  // Not meeting links: returned trimmed, for the caller to reject as an ID.
  assert.equal(meetingIdFromInput('https://example.com/other/abc'), 'https://example.com/other/abc');
  assert.equal(meetingIdFromInput('ftp://h/meeting/abc'), 'ftp://h/meeting/abc');
  assert.equal(meetingIdFromInput('has space'), 'has space');
  assert.equal(meetingIdFromInput('https://h/meeting/%E0%A4%A'), 'https://h/meeting/%E0%A4%A', 'bad escape');
});
