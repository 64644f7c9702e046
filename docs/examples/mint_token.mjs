// Mint a videocall room token in a site's backend (docs/BACKEND_TOKENS.md), Node.js 18+ with
// node:crypto only. HS256 over base64url(header).base64url(payload), keyed with the API secret:
//
//   VIDEOCALL_API_KEY=site1 VIDEOCALL_API_SECRET=... \
//     node mint_token.mjs --meeting standup --name Grace --user-id 42 --role viewer
//
// With the jsonwebtoken package the same is:
//   jwt.sign({ sub, mid, name, role, grants }, secret, { algorithm: 'HS256', issuer: key, expiresIn: 3600 })
import { createHmac } from 'node:crypto';
import { parseArgs } from 'node:util';

const b64url = (data) => Buffer.from(data).toString('base64url');

export function mintRoomToken({ apiKey, apiSecret, meeting, name, userId, role = 'participant',
                                grants, ttlSeconds = 3600 }) {
  const now = Math.floor(Date.now() / 1000);
  const payload = {
    iss: apiKey,         // which API key signed it
    sub: String(userId), // your stable user id: the same user always gets the same identity
    mid: meeting,
    name,
    role,                // host, co-host, participant or viewer
    iat: now,
    exp: now + ttlSeconds, // at most 24 h
  };
  if (grants) payload.grants = grants; // narrows the role, e.g. { publish: ['microphone'], chat: false }
  const signingInput = `${b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }))}.${b64url(JSON.stringify(payload))}`;
  const signature = createHmac('sha256', apiSecret).update(signingInput).digest('base64url');
  return `${signingInput}.${signature}`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: {
      meeting: { type: 'string' }, name: { type: 'string' }, 'user-id': { type: 'string' },
      role: { type: 'string', default: 'participant' }, grants: { type: 'string' },
      ttl: { type: 'string', default: '3600' },
    },
  });
  const apiKey = process.env.VIDEOCALL_API_KEY;
  const apiSecret = process.env.VIDEOCALL_API_SECRET;
  if (!apiKey || !apiSecret || !values.meeting || !values.name || !values['user-id']) {
    console.error('usage: VIDEOCALL_API_KEY=.. VIDEOCALL_API_SECRET=.. node mint_token.mjs --meeting M --name N --user-id U [--role R] [--grants JSON]');
    process.exit(2);
  }
  console.log(mintRoomToken({
    apiKey, apiSecret, meeting: values.meeting, name: values.name, userId: values['user-id'],
    role: values.role, grants: values.grants ? JSON.parse(values.grants) : undefined,
    ttlSeconds: Number(values.ttl),
  }));
}
