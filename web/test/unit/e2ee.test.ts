// The shared E2EE test vectors (tests/vectors/e2ee.json, from an independent Python implementation
// and also checked by the C++ unit tests), plus tamper detection and rotation, on Node's WebCrypto
// (the same API the browser uses).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import vectors from '../../../tests/vectors/e2ee.json';
import { fromHex, importX25519, toHex } from '../../src/e2ee/crypto';
import { FrameKey, routingAad } from '../../src/e2ee/frame';
import { GroupKeys, PassphraseKeys, ReceiverKeys } from '../../src/e2ee/key-ring';
import { type KeyMessage, openKey, passphraseRoot, passphraseSenderSecret, ratchet, safetyCode } from '../../src/e2ee/keys';
import type { HeaderFields } from '../../src/protocol';

const v = vectors;
const header = {
  kind: v.header.kind,
  trackId: v.header.track_id,
  sequence: v.header.sequence,
  captureTimeUs: BigInt(v.header.capture_time_us),
  keyframe: v.header.keyframe,
  temporalLayer: v.header.temporal_layer,
  spatialLayer: v.header.spatial_layer,
  audioLevel: v.header.audio_level,
  codec: v.header.codec,
  width: v.header.width,
  height: v.header.height,
  senderParticipantId: BigInt(v.header.sender_participant_id),
  senderSessionId: 0n,
} as unknown as HeaderFields;

test('passphrase root, sender secret and ratchet match the vectors', async () => {
  const root = await passphraseRoot(v.passphrase, v.meeting_id);
  assert.equal(toHex(root), v.passphrase_root);
  const secret = await passphraseSenderSecret(root, v.meeting_id, v.sender_id, v.key_id);
  assert.equal(toHex(secret), v.sender_secret);
  assert.equal(toHex(await ratchet(secret)), v.ratcheted_secret);
});

test('frame encryption matches the vectors and decrypts', async () => {
  assert.equal(toHex(routingAad(header)), v.routing_aad);
  const key = await FrameKey.derive(fromHex(v.sender_secret));
  assert.equal(toHex(key.salt), v.frame_salt);
  assert.equal(toHex(key.nonce(BigInt(v.counter))), v.nonce);
  const payload = await key.encrypt({ keyId: v.key_id, counter: BigInt(v.counter) }, routingAad(header), fromHex(v.plaintext));
  assert.equal(toHex(payload), v.payload);
  const receiver = new ReceiverKeys();
  await receiver.add(v.sender_id, v.key_id, fromHex(v.sender_secret));
  const opened = await receiver.decrypt(header, fromHex(v.payload));
  assert.equal(opened.result, 'ok');
  assert.equal(toHex(opened.plaintext!), v.plaintext);
  // One routing header field changed in transit: the tag fails.
  const tampered = await receiver.decrypt({ ...header, keyframe: !header.keyframe }, fromHex(v.payload));
  assert.equal(tampered.result, 'auth-failed');
});

test('pairwise key message and safety code match the vectors', async () => {
  const p = v.pairwise;
  const to = await importX25519(fromHex(p.to_private), fromHex(p.to_public));
  const message: KeyMessage = { fromParticipantId: p.from_id, toParticipantId: p.to_id, keyId: p.key_id, sealed: fromHex(p.sealed) };
  const secret = await openKey(to, p.to_id, fromHex(p.from_public), v.meeting_id, message);
  assert.ok(secret);
  assert.equal(toHex(secret), p.secret);
  const code = await safetyCode(v.meeting_id, [
    { participantId: p.to_id, publicKey: fromHex(p.to_public) },
    { participantId: p.from_id, publicKey: fromHex(p.from_public) },
  ]);
  assert.equal(code, v.safety_code);
});

test('passphrase mode round trip; a wrong passphrase fails authentication', async () => {
  const alice = await PassphraseKeys.create('words', 'abc-defg-hij');
  const bob = await PassphraseKeys.create('words', 'abc-defg-hij');
  const eve = await PassphraseKeys.create('other', 'abc-defg-hij');
  await alice.startSending(5);
  const h = { ...header, senderParticipantId: 5n } as HeaderFields;
  const payload = await alice.sender.encrypt(h, new Uint8Array([1, 2, 3]))!;
  assert.equal((await bob.receiver.decrypt(h, payload)).result, 'ok');
  assert.equal((await eve.receiver.decrypt(h, payload)).result, 'auth-failed');
});

test('a leaver cannot decrypt after the rotation; a joiner cannot decrypt earlier frames', async () => {
  const meeting = 'abc-defg-hij';
  const [alice, bob, carol] = await Promise.all([GroupKeys.create(meeting), GroupKeys.create(meeting), GroupKeys.create(meeting)]);
  await alice.start(1);
  await bob.start(2);
  await carol.start(3);
  const group = new Map([[1, alice], [2, bob], [3, carol]]);
  const deliver = async (messages: KeyMessage[]) => {
    for (const m of messages) assert.ok(await group.get(m.toParticipantId)!.onKeyMessage(m));
  };
  const meet = async (a: GroupKeys, b: GroupKeys) => {
    const sent = [...(await a.peerKey(b.selfId, b.pair.publicKey)), ...(await b.peerKey(a.selfId, a.pair.publicKey))];
    await deliver(sent);
  };
  await meet(alice, bob);
  const h = (sequence: number) => ({ ...header, senderParticipantId: 1n, sequence }) as HeaderFields;
  const before = await alice.sender.encrypt(h(0), new Uint8Array([9]))!;
  assert.equal((await bob.receiver.decrypt(h(0), before)).result, 'ok');
  await meet(alice, carol);
  await meet(bob, carol);
  assert.equal(await alice.safetyCode(), await carol.safetyCode());
  assert.notEqual((await carol.receiver.decrypt(h(0), before)).result, 'ok');
  const during = await alice.sender.encrypt(h(1), new Uint8Array([9]))!;
  assert.equal((await bob.receiver.decrypt(h(1), during)).result, 'ok'); // ratcheted locally
  assert.equal((await carol.receiver.decrypt(h(1), during)).result, 'ok');
  group.delete(2);
  await deliver(await alice.peerLeft(2));
  const after = await alice.sender.encrypt(h(2), new Uint8Array([9]))!;
  assert.equal((await carol.receiver.decrypt(h(2), after)).result, 'ok');
  assert.equal((await bob.receiver.decrypt(h(2), after)).result, 'no-key');
});
