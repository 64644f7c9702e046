// Unit tests of the page's view of grants (docs/PROTOCOL.md §13): the join response's claim, a
// participant's grants with role defaults, and what counts as publishing.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Participant } from '../../src/gen/videocall_pb';
import { ALL_GRANTS, grantsFromClaim, grantsFromParticipant, publishesAnything } from '../../src/meeting/grants';

// ParticipantRole numbers (proto/videocall.proto): HOST 1, PARTICIPANT 2, VIEWER 5.
const participant = (role: number, grants?: object) => ({ role, grants }) as unknown as Participant;

test('the grants claim of a join response', () => {
  assert.deepEqual(grantsFromClaim({ publish: ['microphone'], subscribe: true, chat: false }), {
    camera: false,
    microphone: true,
    screen: false,
    subscribe: true,
    chat: false,
  });
  assert.deepEqual(grantsFromClaim(undefined), ALL_GRANTS, 'an older server: everything');
  assert.equal(publishesAnything(grantsFromClaim({ publish: [] })), false);
});

test('a participant’s grants, else its role’s defaults', () => {
  assert.deepEqual(grantsFromParticipant(participant(5)), { camera: false, microphone: false, screen: false, subscribe: true, chat: true });
  assert.deepEqual(grantsFromParticipant(participant(1)), ALL_GRANTS);
  const narrowed = participant(2, { publishCamera: true, publishMicrophone: false, publishScreen: false, subscribe: true, chat: false });
  assert.deepEqual(grantsFromParticipant(narrowed), { camera: true, microphone: false, screen: false, subscribe: true, chat: false });
});
