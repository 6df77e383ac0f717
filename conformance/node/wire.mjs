// Records what @clerk/backend puts on the wire. The client binds `fetch` when its module
// loads, so this module must be imported before '@clerk/backend' (support.mjs does so first).

const realFetch = globalThis.fetch;

/** Every exchange the client made, oldest first: { request, response }. */
export const exchanges = [];

/** The last exchange the client made. */
export function lastExchange() {
  if (exchanges.length === 0) {
    throw new Error('@clerk/backend sent no request');
  }
  return exchanges[exchanges.length - 1];
}

globalThis.fetch = async function recordingFetch(input, init = {}) {
  const response = await realFetch(input, init);
  const copy = response.clone();
  const text = await copy.text();
  exchanges.push({
    request: {
      url: new URL(typeof input === 'string' ? input : input.url),
      method: init.method ?? 'GET',
      headers: new Headers(init.headers),
      body: init.body ?? null,
    },
    response: { status: response.status, headers: response.headers, text },
  });
  return response;
};

/** The unwrapped fetch, for the suite's own plain HTTP calls (kept out of `exchanges`). */
export { realFetch };
