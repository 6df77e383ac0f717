// Shared helpers for driving Clerk's official @clerk/backend against Understudy.
//
// conformance/run.sh starts the instances and passes their URLs and the secret key in the
// environment. Without them the suite fails under CI and skips, saying why, elsewhere.

// Must come first: it wraps fetch before @clerk/backend binds it.
import { realFetch } from './wire.mjs';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createClerkClient } from '@clerk/backend';
import { isClerkAPIResponseError } from '@clerk/backend/errors';

const URL_VARS = {
  default: 'UNDERSTUDY_URL',
  noImpersonation: 'UNDERSTUDY_NO_IMPERSONATION_URL',
  limited: 'UNDERSTUDY_LIMITED_URL',
  rateLimited: 'UNDERSTUDY_RATE_LIMITED_URL',
};

const missing = ['UNDERSTUDY_SECRET_KEY', ...Object.values(URL_VARS)].filter((v) => !process.env[v]);

/** Why the suite cannot run here, or null when it can. Under CI this is an error, not a skip. */
export const skipReason = missing.length
  ? `${missing.join(', ')} not set: run the suites with conformance/run.sh target/debug/understudy`
  : null;
if (skipReason && process.env.CI) {
  throw new Error(skipReason);
}
if (skipReason) {
  console.log(`# skipping: ${skipReason}`);
}

export const secretKey = process.env.UNDERSTUDY_SECRET_KEY ?? '';

/** Base URLs (no /v1) of the running instances, by role. */
export const instances = Object.fromEntries(
  Object.entries(URL_VARS).map(([name, v]) => [name, (process.env[v] ?? '').replace(/\/+$/, '')]),
);

/** The client configured as Clerk's docs say, pointed at one instance. */
export function clerkFor(apiUrl, key = secretKey) {
  return createClerkClient({ secretKey: key, apiUrl });
}

/** Plain HTTP with the bearer key, for calls the official client does not make. */
export async function api(baseUrl, method, path, body) {
  const res = await realFetch(`${baseUrl}/v1${path}`, {
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
  return { status: res.status, headers: res.headers, json, text };
}

/** POST /v1/users over plain HTTP; resolves to the new user's id. */
export async function createUser(baseUrl, firstName = 'Conformance') {
  const res = await api(baseUrl, 'POST', '/users', {
    first_name: firstName,
    external_id: `conf-${randomBytes(6).toString('hex')}`,
    email_address: [`${randomBytes(6).toString('hex')}@conformance.example`],
  });
  assert.equal(res.status, 200, `POST /v1/users -> ${res.status} ${res.text}`);
  assert.equal(res.json.object, 'user');
  assert.match(res.json.id, /^user_/);
  return res.json.id;
}

/**
 * Awaits a promise that must reject with a ClerkAPIResponseError of the given status and
 * first error code; checks every field the client exposes and returns the error.
 */
export async function expectApiError(promise, status, code) {
  let error;
  try {
    await promise;
  } catch (e) {
    error = e;
  }
  assert.ok(error, `expected a ${status} ${code} error, the call succeeded`);
  assert.ok(isClerkAPIResponseError(error), `expected ClerkAPIResponseError, got ${error?.name}: ${error}`);
  assert.equal(error.status, status, `status: ${error}`);
  assert.ok(Array.isArray(error.errors) && error.errors.length > 0, `no parsed errors: ${error}`);
  assert.equal(error.errors[0].code, code, `code: ${error}`);
  assert.ok(error.errors[0].message, 'errors[0].message');
  assert.ok(error.errors[0].longMessage, 'errors[0].longMessage');
  // The client reads clerk_trace_id from the body: the server must send one.
  assert.equal(typeof error.clerkTraceId, 'string');
  assert.ok(error.clerkTraceId.length > 0, 'clerkTraceId is empty');
  return error;
}

/** Unix milliseconds close to now (the contract's timestamps are milliseconds). */
export function assertRecentMillis(value) {
  assert.equal(typeof value, 'number');
  assert.ok(Math.abs(Date.now() - value) < 10 * 60 * 1000, `${value} is not Unix milliseconds near now`);
}

export { exchanges, lastExchange, realFetch } from './wire.mjs';
