// Clerk's official @clerk/backend against Understudy: actor tokens.
//
// Every call goes through the client as Clerk's docs show it (createClerkClient({ secretKey,
// apiUrl }), clerk.actorTokens.create(…), clerk.actorTokens.revoke(id)); plain HTTP only
// creates users. What the client sent and received is read back from the wire (wire.mjs).

import {
  assertRecentMillis,
  clerkFor,
  createUser,
  expectApiError,
  instances,
  lastExchange,
  realFetch,
  secretKey,
  skipReason,
} from '../support.mjs';
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';

const CLIENT_API_VERSION = '2026-05-12';
const UNKNOWN_USER = 'user_doesnotexist000000000';

const base = instances.default;
const clerk = clerkFor(base);

function customActor(actorId) {
  // Nested and camelCase keys too: the client snake-cases only top-level body keys.
  return {
    sub: actorId,
    reason: 'ticket #4711',
    support: { team: 'tier-2', level: 2, tags: ['billing', 'vip'] },
    camelCaseKey: true,
  };
}

/** The trace id the server sent, as the header of the client's last exchange. */
function lastTraceHeader() {
  const trace = lastExchange().response.headers.get('clerk-trace-id');
  assert.ok(trace, 'no Clerk-Trace-Id header');
  return trace;
}

describe('actorTokens.create', { skip: skipReason ?? false }, () => {
  let userId;
  let actorId;
  before(async () => {
    userId = await createUser(base, 'Impersonated');
    actorId = await createUser(base, 'Support Agent');
  });

  test('returns a pending token and keeps every actor key', async () => {
    const actor = customActor(actorId);
    const token = await clerk.actorTokens.create({
      userId,
      actor,
      expiresInSeconds: 600,
      sessionMaxDurationInSeconds: 900,
    });

    assert.equal(token.user_id, undefined, 'the client returned raw JSON, not its ActorToken resource');
    assert.match(token.id, /^act_/);
    assert.equal(token.status, 'pending');
    assert.equal(token.userId, userId);
    assert.deepEqual(token.actor, actor);
    assert.deepEqual(Object.keys(token.actor), Object.keys(actor));
    assert.ok(typeof token.token === 'string' && token.token.length > 0);
    assert.equal(token.url, `${base}/v1/tickets/accept?ticket=${encodeURIComponent(token.token)}`);
    assertRecentMillis(token.createdAt);
    assert.ok(token.updatedAt >= token.createdAt);

    const { request, response } = lastExchange();
    assert.equal(request.method, 'POST');
    assert.equal(request.url.pathname, '/v1/actor_tokens');
    assert.equal(request.headers.get('clerk-api-version'), CLIENT_API_VERSION);
    assert.equal(request.headers.get('authorization'), `Bearer ${secretKey}`);
    assert.deepEqual(JSON.parse(request.body), {
      user_id: userId,
      actor,
      expires_in_seconds: 600,
      session_max_duration_in_seconds: 900,
    });
    assert.equal(response.status, 200);
    // The client parses a body as JSON only when Content-Type is exactly this.
    assert.equal(response.headers.get('content-type'), 'application/json');
    lastTraceHeader();
  });

  test('without durations sends none and the server applies its defaults', async () => {
    const token = await clerk.actorTokens.create({ userId, actor: { sub: actorId } });
    assert.equal(token.status, 'pending');
    assert.deepEqual(token.actor, { sub: actorId });
    assert.deepEqual(JSON.parse(lastExchange().request.body), { user_id: userId, actor: { sub: actorId } });
  });

  test('unknown user is 404 resource_not_found', async () => {
    await expectApiError(clerk.actorTokens.create({ userId: UNKNOWN_USER, actor: { sub: actorId } }), 404, 'resource_not_found');
  });

  test('missing userId is 422 form_param_missing user_id', async () => {
    const error = await expectApiError(clerk.actorTokens.create({ actor: { sub: actorId } }), 422, 'form_param_missing');
    assert.equal(error.errors[0].meta.paramName, 'user_id');
  });

  test('actor without sub is 422 form_param_missing actor.sub', async () => {
    const error = await expectApiError(
      clerk.actorTokens.create({ userId, actor: { reason: 'no sub' } }),
      422,
      'form_param_missing',
    );
    assert.equal(error.errors[0].meta.paramName, 'actor.sub');
  });

  for (const [field, wire, value] of [
    ['expiresInSeconds', 'expires_in_seconds', -1],
    ['expiresInSeconds', 'expires_in_seconds', 2_592_001],
    ['sessionMaxDurationInSeconds', 'session_max_duration_in_seconds', 0],
    ['sessionMaxDurationInSeconds', 'session_max_duration_in_seconds', 604_801],
  ]) {
    test(`${field}: ${value} is 422 form_param_value_invalid`, async () => {
      const error = await expectApiError(
        clerk.actorTokens.create({ userId, actor: { sub: actorId }, [field]: value }),
        422,
        'form_param_value_invalid',
      );
      assert.equal(error.errors[0].meta.paramName, wire);
    });
  }

  test('an unknown field is 422 form_param_unknown', async () => {
    const error = await expectApiError(
      clerk.actorTokens.create({ userId, actor: { sub: actorId }, favouriteColour: 'blue' }),
      422,
      'form_param_unknown',
    );
    assert.equal(error.errors[0].meta.paramName, 'favourite_colour');
  });

  test('an oversized body is 413 request_body_too_large', async () => {
    const actor = { sub: actorId, notes: 'x'.repeat(100 * 1024) };
    await expectApiError(clerk.actorTokens.create({ userId, actor }), 413, 'request_body_too_large');
  });

  test('a wrong secret key is 401 clerk_key_invalid', async () => {
    const wrong = clerkFor(base, 'sk_test_thisisnotavalidkey000000000000');
    const error = await expectApiError(wrong.actorTokens.create({ userId, actor: { sub: actorId } }), 401, 'clerk_key_invalid');
    assert.equal(error.clerkTraceId, lastTraceHeader());
  });
});

describe('actorTokens.revoke', { skip: skipReason ?? false }, () => {
  let userId;
  let actorId;
  before(async () => {
    userId = await createUser(base, 'Impersonated');
    actorId = await createUser(base, 'Support Agent');
  });

  test('marks a pending token revoked', async () => {
    const actor = customActor(actorId);
    const created = await clerk.actorTokens.create({ userId, actor });

    const revoked = await clerk.actorTokens.revoke(created.id);

    assert.equal(revoked.id, created.id);
    assert.equal(revoked.status, 'revoked');
    assert.equal(revoked.userId, userId);
    assert.deepEqual(revoked.actor, actor);
    assert.equal(revoked.createdAt, created.createdAt);
    assert.ok(revoked.updatedAt >= created.updatedAt);
    // The plain token is shown once, on create; the server keeps only its hash.
    assert.equal(revoked.token ?? null, null);

    const { request, response } = lastExchange();
    assert.equal(request.method, 'POST');
    assert.equal(request.url.pathname, `/v1/actor_tokens/${created.id}/revoke`);
    // The client sends no body but still says Content-Type: application/json.
    assert.equal(request.body, null);
    assert.equal(request.headers.get('content-type'), 'application/json');
    assert.equal(response.status, 200);
  });

  test('revoking twice is 400 actor_token_cannot_be_revoked_code', async () => {
    const created = await clerk.actorTokens.create({ userId, actor: { sub: actorId } });
    await clerk.actorTokens.revoke(created.id);

    const error = await expectApiError(clerk.actorTokens.revoke(created.id), 400, 'actor_token_cannot_be_revoked_code');
    assert.match(error.errors[0].longMessage, /revoked/);
    assert.equal(error.clerkTraceId, lastTraceHeader());
  });

  test('revoking an accepted token is 400 naming its status', async () => {
    const created = await clerk.actorTokens.create({ userId, actor: { sub: actorId } });
    // Use the ticket as a browser would, asking for JSON instead of the redirect (ours).
    const accepted = await realFetch(created.url, {
      headers: { Accept: 'application/json' },
      redirect: 'manual',
      signal: AbortSignal.timeout(10_000),
    });
    assert.equal(accepted.status, 200, await accepted.text());

    const error = await expectApiError(clerk.actorTokens.revoke(created.id), 400, 'actor_token_cannot_be_revoked_code');
    assert.match(error.errors[0].longMessage, /accepted/);
  });

  test('an unknown id is 404 resource_not_found', async () => {
    await expectApiError(clerk.actorTokens.revoke('act_doesnotexist0000000000000'), 404, 'resource_not_found');
  });

  test('a wrong secret key is 401 clerk_key_invalid', async () => {
    const wrong = clerkFor(base, 'sk_test_thisisnotavalidkey000000000000');
    await expectApiError(wrong.actorTokens.revoke('act_x'), 401, 'clerk_key_invalid');
  });
});

describe('instance settings', { skip: skipReason ?? false }, () => {
  test('impersonation disabled is 402 unsupported_subscription_plan_features', async () => {
    const url = instances.noImpersonation;
    const [userId, actorId] = [await createUser(url), await createUser(url)];
    await expectApiError(
      clerkFor(url).actorTokens.create({ userId, actor: { sub: actorId } }),
      402,
      'unsupported_subscription_plan_features',
    );
  });

  test('the monthly limit is 422 impersonation_limit_exceeded with limit and used', async () => {
    const url = instances.limited;
    const limited = clerkFor(url);
    const [userId, actorId] = [await createUser(url), await createUser(url)];
    const first = await limited.actorTokens.create({ userId, actor: { sub: actorId } });
    assert.equal(first.status, 'pending');

    await expectApiError(limited.actorTokens.create({ userId, actor: { sub: actorId } }), 422, 'impersonation_limit_exceeded');
    // ClerkAPIError keeps only the meta keys it knows, so limit/used are read on the wire.
    const body = JSON.parse(lastExchange().response.text);
    assert.equal(body.errors[0].meta.limit, 1);
    assert.equal(body.errors[0].meta.used, 1);
  });

  test('the rate limit is 429 too_many_requests with retryAfter', async () => {
    const limited = clerkFor(instances.rateLimited);
    const statuses = [];
    let error;
    for (let i = 0; i < 3; i++) {
      try {
        await limited.actorTokens.create({ userId: UNKNOWN_USER, actor: { sub: 'user_y' } });
        statuses.push(200);
      } catch (e) {
        error = e;
        statuses.push(e.status);
      }
    }
    // Two requests a minute: two reach the handler (unknown user), the third is turned away.
    assert.deepEqual(statuses, [404, 404, 429]);
    await expectApiError(Promise.reject(error), 429, 'too_many_requests');
    assert.equal(typeof error.retryAfter, 'number');
    assert.ok(error.retryAfter >= 1 && error.retryAfter <= 60, `retryAfter ${error.retryAfter}`);
  });
});
