// Clerk's official @clerk/backend `verifyToken` against session tokens Understudy mints after a
// real accept (CONTRACT.md §6.4).
//
// Keys: @clerk/backend fetches the JWKS itself from `${apiUrl}/v1/jwks` with the secret key
// (verifyToken(token, { secretKey, apiUrl })), so it is pointed at Understudy directly; the
// networkless `jwtKey` (PEM) form is checked too, with the PEM converted from that JWKS.
// Expiry without sleeping: @clerk/backend checks `exp` before `nbf`/`iat`, so a negative
// `clockSkewInMs` of 61 s moves its "now" past the 60 s token lifetime.

import { createUser, exchanges, instances, secretKey, skipReason } from '../support.mjs';
import { realFetch } from '../wire.mjs';
import assert from 'node:assert/strict';
import { createPublicKey, randomBytes } from 'node:crypto';
import { before, describe, test } from 'node:test';
import { createClerkClient, verifyToken } from '@clerk/backend';
import { TokenVerificationError, TokenVerificationErrorReason } from '@clerk/backend/errors';

const base = instances.default;
const TOKEN_LIFETIME_S = 60;
const APP_ORIGIN = 'http://app.conformance.example';

/** GET /v1/tickets/accept?ticket=… asking for JSON; returns { status, json, text, headers }. */
async function acceptAsJson(ticket, headers = {}) {
  const res = await realFetch(`${base}/v1/tickets/accept?ticket=${encodeURIComponent(ticket)}`, {
    headers: { Accept: 'application/json', ...headers },
    redirect: 'manual',
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, json, text, headers: res.headers };
}

async function bapi(method, path, headers = {}) {
  const res = await realFetch(`${base}/v1${path}`, {
    method,
    headers: { Authorization: `Bearer ${secretKey}`, ...headers },
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, json, text };
}

/** A user, an actor with extra keys, a token, and its accept as JSON: { userId, actor, session, jwt }. */
async function acceptedImpersonation(acceptHeaders = {}) {
  const userId = await createUser(base, 'Verified');
  const actor = {
    sub: await createUser(base, 'Verifying Agent'),
    reason: `verify ${randomBytes(3).toString('hex')}`,
    support: { team: 'tier-2', level: 2 },
  };
  const created = await realFetch(`${base}/v1/actor_tokens`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${secretKey}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ user_id: userId, actor, expires_in_seconds: 600, session_max_duration_in_seconds: 900 }),
    signal: AbortSignal.timeout(10_000),
  });
  const token = await created.json();
  assert.equal(created.status, 200, `POST /v1/actor_tokens -> ${created.status} ${JSON.stringify(token)}`);

  const accepted = await acceptAsJson(token.token, acceptHeaders);
  assert.equal(accepted.status, 200, `accept as JSON -> ${accepted.status} ${accepted.text}`);
  const session = accepted.json;
  assert.equal(session.object, 'session');
  assert.match(session.id, /^sess_/);
  assert.equal(session.user_id, userId);
  assert.equal(session.status, 'active');
  assert.deepEqual(session.actor, actor);
  assert.equal(session.last_active_token?.object, 'token', `no last_active_token: ${accepted.text}`);
  assert.equal(typeof session.last_active_token.jwt, 'string');
  return { userId, actor, session, jwt: session.last_active_token.jwt };
}

function decodePart(part) {
  return JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
}

/** Awaits a verifyToken call that must throw a TokenVerificationError with `reason`. */
async function expectRejected(promise, reason) {
  let error;
  try {
    await promise;
  } catch (e) {
    error = e;
  }
  assert.ok(error, `verifyToken accepted a token it must reject (${reason})`);
  assert.ok(error instanceof TokenVerificationError, `expected TokenVerificationError, got ${error?.name}: ${error}`);
  assert.equal(error.reason, reason, `${error}`);
  return error;
}

describe('verifyToken (@clerk/backend) with Understudy session tokens', { skip: skipReason ?? false }, () => {
  let subject;
  before(async () => {
    subject = await acceptedImpersonation();
  });

  test('accepts a token minted by a real accept, fetching the JWKS from Understudy, and exposes act', async () => {
    const { userId, actor, session, jwt } = subject;
    const seen = exchanges.length;
    const claims = await verifyToken(jwt, { secretKey, apiUrl: base });

    assert.equal(claims.sub, userId);
    assert.equal(claims.sid, session.id);
    assert.equal(claims.iss, base);
    assert.equal(claims.v, 2);
    assert.equal(claims.nbf, claims.iat);
    assert.equal(claims.exp - claims.iat, TOKEN_LIFETIME_S);
    assert.ok(Math.abs(claims.iat - Date.now() / 1000) < 120, `iat ${claims.iat} is not near now`);
    assert.deepEqual(claims.act, actor, 'act must be the whole actor payload');
    assert.equal(claims.act.sub, actor.sub);
    assert.equal(claims.act.reason, actor.reason);

    // The key came from Understudy's JWKS, asked for with the secret key as Clerk's client does.
    const jwksCalls = exchanges.slice(seen).filter((e) => e.request.url.pathname === '/v1/jwks');
    assert.equal(jwksCalls.length, 1, 'verifyToken did not fetch /v1/jwks from Understudy');
    assert.equal(jwksCalls[0].request.url.origin, base);
    assert.equal(jwksCalls[0].response.status, 200);
    const { kid } = decodePart(jwt.split('.')[0]);
    assert.ok(JSON.parse(jwksCalls[0].response.text).keys.some((k) => k.kid === kid), 'kid not in the JWKS');
  });

  test('accepts it networklessly with jwtKey, the PEM of the JWKS key named by kid', async () => {
    const jwks = await bapi('GET', '/jwks');
    assert.equal(jwks.status, 200, `GET /v1/jwks -> ${jwks.status} ${jwks.text}`);
    const header = decodePart(subject.jwt.split('.')[0]);
    assert.equal(header.alg, 'RS256');
    const jwk = jwks.json.keys.find((k) => k.kid === header.kid);
    assert.ok(jwk, `kid ${header.kid} not published in ${jwks.text}`);
    assert.equal(jwk.kty, 'RSA');
    const pem = createPublicKey({ key: jwk, format: 'jwk' }).export({ type: 'spki', format: 'pem' });

    const claims = await verifyToken(subject.jwt, { jwtKey: pem });
    assert.equal(claims.sub, subject.userId);
    assert.deepEqual(claims.act, subject.actor);
  });

  test('the JWKS needs no key (ours), and answers with a bearer key too', async () => {
    const res = await realFetch(`${base}/v1/jwks`, { signal: AbortSignal.timeout(10_000) });
    assert.equal(res.status, 200);
    const body = await res.json();
    assert.ok(Array.isArray(body.keys) && body.keys.length > 0, JSON.stringify(body));
    for (const key of body.keys) {
      assert.equal(key.kty, 'RSA');
      assert.equal(typeof key.kid, 'string');
      assert.equal(key.d, undefined, 'a private key part is published');
    }
  });

  test('accepts a token from POST /v1/sessions/{id}/tokens; azp is the Origin and authorizedParties holds', async () => {
    const minted = await bapi('POST', `/sessions/${subject.session.id}/tokens`, { Origin: APP_ORIGIN });
    assert.equal(minted.status, 200, `POST /v1/sessions/{id}/tokens -> ${minted.status} ${minted.text}`);
    assert.equal(minted.json.object, 'token');

    const claims = await verifyToken(minted.json.jwt, { secretKey, apiUrl: base, authorizedParties: [APP_ORIGIN] });
    assert.equal(claims.azp, APP_ORIGIN);
    assert.equal(claims.sid, subject.session.id);
    assert.deepEqual(claims.act, subject.actor);

    await expectRejected(
      verifyToken(minted.json.jwt, { secretKey, apiUrl: base, authorizedParties: ['http://other.example'] }),
      TokenVerificationErrorReason.TokenInvalidAuthorizedParties,
    );
  });

  test('authenticateRequest, as an app backend calls it, signs the request in and exposes auth.actor', async () => {
    // The publishable key encodes the frontend API host (Clerk's `pk_test_` + base64("host$")).
    const publishableKey = `pk_test_${Buffer.from(`${new URL(base).host}$`).toString('base64')}`;
    const app = createClerkClient({ secretKey, apiUrl: base, publishableKey, telemetry: { disabled: true } });
    const request = (jwt) =>
      new Request('http://app.conformance.example/api/me', { headers: { Authorization: `Bearer ${jwt}` } });

    const state = await app.authenticateRequest(request(subject.jwt));
    assert.equal(state.status, 'signed-in', `${state.reason}: ${state.message}`);
    const auth = state.toAuth();
    assert.equal(auth.userId, subject.userId);
    assert.equal(auth.sessionId, subject.session.id);
    assert.deepEqual(auth.actor, subject.actor);

    const [header, payload, signature] = subject.jwt.split('.');
    const claims = decodePart(payload);
    claims.act = { sub: 'user_someone_else' };
    const forged = `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${signature}`;
    const refused = await app.authenticateRequest(request(forged));
    assert.equal(refused.status, 'signed-out');
    assert.equal(refused.toAuth().userId, null);
  });

  test('rejects a tampered token: payload changed, signature kept', async () => {
    const [header, payload, signature] = subject.jwt.split('.');
    const claims = decodePart(payload);
    claims.act = { ...claims.act, sub: 'user_someone_else' };
    const forged = `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${signature}`;
    await expectRejected(verifyToken(forged, { secretKey, apiUrl: base }), TokenVerificationErrorReason.TokenInvalidSignature);

    // One character of the payload flipped, still valid base64url and JSON.
    const flipped = decodePart(payload);
    flipped.sub = flipped.sub.slice(0, -1) + (flipped.sub.endsWith('A') ? 'B' : 'A');
    const oneChar = `${header}.${Buffer.from(JSON.stringify(flipped)).toString('base64url')}.${signature}`;
    await expectRejected(verifyToken(oneChar, { secretKey, apiUrl: base }), TokenVerificationErrorReason.TokenInvalidSignature);
  });

  test('rejects an expired token (verifier clock 61 s ahead via a negative clockSkewInMs)', async () => {
    // Still valid with the default skew: the rejection below is the clock, nothing else.
    await verifyToken(subject.jwt, { secretKey, apiUrl: base });
    await expectRejected(
      verifyToken(subject.jwt, { secretKey, apiUrl: base, clockSkewInMs: -(TOKEN_LIFETIME_S + 1) * 1000 }),
      TokenVerificationErrorReason.TokenExpired,
    );
  });

  test('no new token once the session is revoked', async () => {
    const { session } = await acceptedImpersonation();
    const revoked = await bapi('POST', `/sessions/${session.id}/revoke`);
    assert.equal(revoked.status, 200, `revoke -> ${revoked.status} ${revoked.text}`);
    assert.equal(revoked.json.status, 'revoked');
    const minted = await bapi('POST', `/sessions/${session.id}/tokens`);
    assert.ok(minted.status === 400 || minted.status === 404, `tokens after revoke -> ${minted.status} ${minted.text}`);
    assert.equal(minted.json?.errors?.[0]?.code, 'session_not_active', minted.text);
  });
});
