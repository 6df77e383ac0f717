// End to end in a real browser: headless Debian Chromium (driven by playwright-core) opens an
// actor token's `url` on a running Understudy, lands on the built-in after-accept page signed
// in as the user on behalf of the actor, ends the impersonation with the page's button, and
// the API then shows the session revoked, no token minted for it, and the audit trail.
//
// conformance/browser/run.sh starts the instance and passes UNDERSTUDY_URL and
// UNDERSTUDY_SECRET_KEY. Without them the test fails under CI and skips, saying why, elsewhere.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { chromium } from 'playwright-core';

const CHROMIUM = '/usr/bin/chromium';
// Without the background-networking flags Chromium tries to reach Google's services, and on a
// closed network its connections are refused.
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const PAGE_TIMEOUT_MS = 15_000;

const missing = ['UNDERSTUDY_URL', 'UNDERSTUDY_SECRET_KEY'].filter((v) => !process.env[v]);
const skipReason = missing.length
  ? `${missing.join(', ')} not set: run conformance/browser/run.sh target/debug/understudy`
  : null;
if (skipReason && process.env.CI) {
  throw new Error(skipReason);
}

const base = (process.env.UNDERSTUDY_URL ?? '').replace(/\/+$/, '');
const secretKey = process.env.UNDERSTUDY_SECRET_KEY ?? '';
const artifacts = process.env.UNDERSTUDY_BROWSER_ARTIFACTS ?? join(tmpdir(), 'understudy-browser');

/** Plain HTTP to the Backend API with the bearer key. */
async function api(method, path, body) {
  const res = await fetch(`${base}/v1${path}`, {
    method,
    headers: { Authorization: `Bearer ${secretKey}`, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
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

/** Asserts the contract's error shape (CONTRACT.md §5) with the given first code. */
function assertClerkError(json, code, context) {
  assert.ok(json && Array.isArray(json.errors) && json.errors.length > 0, `${context}: no errors array in ${JSON.stringify(json)}`);
  assert.equal(json.errors[0].code, code, `${context}: ${JSON.stringify(json)}`);
  assert.equal(typeof json.errors[0].message, 'string', `${context}: errors[0].message`);
  assert.equal(typeof json.errors[0].long_message, 'string', `${context}: errors[0].long_message`);
  assert.equal(typeof json.clerk_trace_id, 'string', `${context}: clerk_trace_id`);
}

async function createUser(firstName) {
  const suffix = randomBytes(6).toString('hex');
  const res = await api('POST', '/users', {
    first_name: firstName,
    last_name: 'Browser',
    external_id: `browser-${suffix}`,
    email_address: [`${suffix}@browser.example`],
  });
  assert.equal(res.status, 200, `POST /v1/users -> ${res.status} ${res.text}`);
  assert.match(res.json.id, /^user_/);
  return res.json;
}

/** A fresh user, an actor (another user) and a pending actor token for them. */
async function createImpersonation(reason) {
  const user = await createUser('Impersonated');
  const agent = await createUser('Support');
  const actor = { sub: agent.id, reason };
  const res = await api('POST', '/actor_tokens', {
    user_id: user.id,
    actor,
    expires_in_seconds: 600,
    session_max_duration_in_seconds: 900,
  });
  assert.equal(res.status, 200, `POST /v1/actor_tokens -> ${res.status} ${res.text}`);
  assert.equal(res.json.status, 'pending');
  assert.equal(typeof res.json.url, 'string', 'the created token has no url');
  assert.ok(
    res.json.url.startsWith(`${base}/v1/tickets/accept?ticket=`),
    `token url ${res.json.url} is not {frontend_url}/v1/tickets/accept?ticket=…`,
  );
  return { user, actor, token: res.json };
}

/** GET /v1/sessions?user_id=… (the plain array form), asserted to be an array. */
async function sessionsOf(userId) {
  const res = await api('GET', `/sessions?user_id=${encodeURIComponent(userId)}`);
  assert.equal(res.status, 200, `GET /v1/sessions -> ${res.status} ${res.text}`);
  assert.ok(Array.isArray(res.json), `GET /v1/sessions?user_id= is not an array: ${res.text}`);
  return res.json;
}

async function text(page, selector) {
  return (await page.locator(selector).textContent({ timeout: PAGE_TIMEOUT_MS }))?.trim();
}

describe('actor token url in a browser', { skip: skipReason ?? false }, () => {
  let browser;
  before(async () => {
    mkdirSync(artifacts, { recursive: true });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, timeout: 60_000 });
  });
  after(async () => {
    await browser?.close();
  });

  test('signs in as the user on behalf of the actor; the button ends it and the session is revoked', async () => {
    const reason = `ticket #${randomBytes(3).toString('hex')} (browser test)`;
    const { user, actor, token } = await createImpersonation(reason);
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      page.setDefaultTimeout(PAGE_TIMEOUT_MS);

      const response = await page.goto(token.url, { waitUntil: 'load' });
      assert.ok(response, 'no response for the token url');
      assert.equal(response.status(), 200, `after-accept page answered ${response.status()}: ${await response.text()}`);
      const landed = new URL(page.url());
      assert.equal(landed.origin, base, `landed on another origin: ${page.url()}`);
      assert.equal(landed.pathname, '/impersonation', `landed on ${page.url()}, not the after-accept page`);
      // The redirect itself: 303 from the ticket url.
      const redirect = response.request().redirectedFrom();
      assert.ok(redirect, 'the token url did not redirect');
      assert.equal((await redirect.response()).status(), 303, 'the accept redirect is not a 303');

      assert.equal(await text(page, '#signed-in-user'), user.id);
      assert.equal(await text(page, '#actor-sub'), actor.sub);
      const sessionId = await text(page, '#session-id');
      assert.match(sessionId, /^sess_/);
      const body = await page.locator('body').innerText();
      assert.ok(body.includes(reason), `the page does not show the reason "${reason}":\n${body}`);
      await page.screenshot({ path: join(artifacts, 'impersonation.png'), fullPage: true });

      const cookies = await context.cookies(base);
      const client = cookies.find((c) => c.name === '__client');
      assert.ok(client, `no __client cookie; cookies: ${cookies.map((c) => c.name).join(', ')}`);
      assert.equal(client.httpOnly, true, '__client is not HttpOnly');
      assert.equal(client.sameSite, 'Lax', '__client is not SameSite=Lax');
      assert.equal(client.secure, false, '__client is Secure on an http frontend');
      assert.equal(client.path, '/');

      const before = await sessionsOf(user.id);
      const live = before.find((s) => s.id === sessionId);
      assert.ok(live, `session ${sessionId} not listed for ${user.id}: ${JSON.stringify(before)}`);
      assert.equal(live.status, 'active');
      assert.deepEqual(live.actor, actor);
      const accepted = await api('GET', `/actor_tokens/${token.id}`);
      assert.equal(accepted.json?.status, 'accepted', `token after accept: ${accepted.text}`);

      await Promise.all([page.waitForURL(/\/impersonation/, { waitUntil: 'load' }), page.click('#end-impersonation')]);
      await page.locator('#impersonation-ended').waitFor({ state: 'visible' });
      await page.locator('#no-session').waitFor({ state: 'visible' });
      assert.equal(await page.locator('#signed-in-user').count(), 0, 'still shows a signed-in user after ending');
      await page.screenshot({ path: join(artifacts, 'impersonation-ended.png'), fullPage: true });

      const ended = (await sessionsOf(user.id)).find((s) => s.id === sessionId);
      assert.ok(ended, `session ${sessionId} no longer listed`);
      assert.equal(ended.status, 'revoked');

      const mint = await api('POST', `/sessions/${sessionId}/tokens`);
      assert.ok(mint.status === 400 || mint.status === 404, `minting for a revoked session -> ${mint.status} ${mint.text}`);
      assertClerkError(mint.json, 'session_not_active', 'POST /v1/sessions/{id}/tokens after revoke');

      const audit = await api('GET', `/audit_events?user_id=${encodeURIComponent(user.id)}`);
      assert.equal(audit.status, 200, `GET /v1/audit_events -> ${audit.status} ${audit.text}`);
      const actions = audit.json.data.map((e) => e.action);
      // Newest first.
      assert.deepEqual(actions, ['session.ended', 'actor_token.accepted', 'actor_token.created'], audit.text);
      assert.equal(audit.json.total_count, 3);
      for (const event of audit.json.data) {
        assert.equal(event.object, 'audit_event');
        assert.match(event.id, /^aud_/);
        assert.equal(event.user_id, user.id);
        assert.equal(event.actor_sub, actor.sub);
        assert.equal(event.reason, reason, `${event.action} has no reason`);
      }
      const [endEvent, acceptEvent] = audit.json.data;
      assert.equal(endEvent.session_id, sessionId);
      assert.equal(acceptEvent.session_id, sessionId);
      assert.equal(acceptEvent.actor_token_id, token.id);

      // Reloading the page keeps showing no session: the cookie no longer signs anyone in.
      await page.goto(`${base}/impersonation`);
      await page.locator('#no-session').waitFor({ state: 'visible' });
    } finally {
      await context.close();
    }
  });

  test('opening the same url again shows actor_token_already_used_code', async () => {
    const { token } = await createImpersonation('reuse check');
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      page.setDefaultTimeout(PAGE_TIMEOUT_MS);
      const first = await page.goto(token.url);
      assert.equal(new URL(page.url()).pathname, '/impersonation', `first use landed on ${page.url()} (${first?.status()})`);

      const again = await page.goto(token.url);
      assert.ok(again, 'no response for the reused url');
      assert.equal(again.status(), 400, `reuse answered ${again.status()}`);
      assert.equal(new URL(page.url()).pathname, '/v1/tickets/accept', 'reuse redirected');
      assertClerkError(await again.json(), 'actor_token_already_used_code', 'reused ticket');
      const shown = await page.locator('body').innerText();
      assert.ok(shown.includes('actor_token_already_used_code'), `the page does not show the code:\n${shown}`);
      await page.screenshot({ path: join(artifacts, 'already-used.png') });
    } finally {
      await context.close();
    }
  });

  test('a revoked token and an unknown ticket show their errors, in the contract shape, and sign no one in', async () => {
    const { token } = await createImpersonation('revoked before use');
    const revoked = await api('POST', `/actor_tokens/${token.id}/revoke`);
    assert.equal(revoked.status, 200, `revoke -> ${revoked.status} ${revoked.text}`);
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      page.setDefaultTimeout(PAGE_TIMEOUT_MS);
      const cases = [
        [token.url, 400, 'actor_token_revoked_code'],
        [`${base}/v1/tickets/accept?ticket=not-a-ticket`, 400, 'actor_token_cannot_be_used_code'],
        [`${base}/v1/tickets/accept`, 400, 'actor_token_cannot_be_used_code'],
      ];
      for (const [url, status, code] of cases) {
        const res = await page.goto(url);
        assert.equal(res?.status(), status, `${url} answered ${res?.status()}`);
        assertClerkError(await res.json(), code, url);
      }
      await page.goto(`${base}/impersonation`);
      await page.locator('#no-session').waitFor({ state: 'visible' });
    } finally {
      await context.close();
    }
  });

  test('a second ticket in the same browser replaces its earlier session', async () => {
    const first = await createImpersonation('first ticket');
    const second = await createImpersonation('second ticket');
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      page.setDefaultTimeout(PAGE_TIMEOUT_MS);
      await page.goto(first.token.url);
      const firstSession = await text(page, '#session-id');
      await page.goto(second.token.url);
      assert.equal(await text(page, '#signed-in-user'), second.user.id);
      const secondSession = await text(page, '#session-id');
      assert.notEqual(secondSession, firstSession);

      const [replaced] = (await sessionsOf(first.user.id)).filter((s) => s.id === firstSession);
      assert.equal(replaced?.status, 'replaced', `first session after the second accept: ${JSON.stringify(replaced)}`);
      const [active] = (await sessionsOf(second.user.id)).filter((s) => s.id === secondSession);
      assert.equal(active?.status, 'active');
    } finally {
      await context.close();
    }
  });

  test('a fresh browser without the cookie sees no session', async () => {
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      const res = await page.goto(`${base}/impersonation`);
      assert.equal(res?.status(), 200);
      await page.locator('#no-session').waitFor({ state: 'visible', timeout: PAGE_TIMEOUT_MS });
      assert.equal(await page.locator('#end-impersonation').count(), 0);
    } finally {
      await context.close();
    }
  });

  test('ending from a cross-site Origin is refused with 403', async () => {
    const res = await fetch(`${base}/impersonation/end`, {
      method: 'POST',
      headers: { Origin: 'http://evil.example', 'Content-Type': 'application/x-www-form-urlencoded' },
      body: '',
      redirect: 'manual',
      signal: AbortSignal.timeout(10_000),
    });
    assert.equal(res.status, 403, `cross-site POST /impersonation/end -> ${res.status} ${await res.text()}`);
  });
});
