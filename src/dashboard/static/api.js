// The agent's /api/v1 as the dashboard uses it: JSON calls authenticated by the session cookie
// that the one-time link set (sent by the browser itself), or by a bearer token entered in the
// prompt that a 401 opens (kept in sessionStorage); and the server-sent-events stream.

const TOKEN_KEY = 's3ferry.token';
const BASE = '/api/v1';

/** Fallback when sessionStorage is unavailable. */
let memoryToken = '';

/** @typedef {{ code?: string, message?: string, hint?: string, field?: string }} ErrorBody */

/** An error answer of the API: { error: { code, message, hint?, field? } }. */
export class ApiError extends Error {
  /**
   * @param {number} status
   * @param {unknown} body the answer's JSON, if any
   */
  constructor(status, body) {
    const e = errorOf(body);
    super(e.message ?? `the agent answered HTTP ${status}`);
    this.name = 'ApiError';
    this.status = status;
    this.code = e.code ?? `HTTP_${status}`;
    /** @type {string | undefined} */
    this.hint = e.hint;
    /** @type {string | undefined} */
    this.field = e.field;
  }
}

/**
 * The `error` of an error answer; {} when the answer has none (a proxy's HTML page).
 * @param {unknown} body
 * @returns {ErrorBody}
 */
function errorOf(body) {
  if (typeof body !== 'object' || body === null || !('error' in body)) return {};
  const e = body.error;
  if (typeof e !== 'object' || e === null) return {};
  /** @param {string} k */
  const text = (k) => {
    const v = /** @type {Record<string, unknown>} */ (e)[k];
    return typeof v === 'string' ? v : undefined;
  };
  /** @type {ErrorBody} */
  const out = {};
  for (const k of /** @type {const} */ (['code', 'message', 'hint', 'field'])) {
    const v = text(k);
    if (v !== undefined) out[k] = v;
  }
  return out;
}

/** The token entered in the prompt ('' when none). */
export function getToken() {
  try {
    return sessionStorage.getItem(TOKEN_KEY) || '';
  } catch {
    return '';
  }
}

/**
 * Keeps the token for this tab ('' forgets it).
 * @param {string} token
 */
export function setToken(token) {
  try {
    if (token) sessionStorage.setItem(TOKEN_KEY, token);
    else sessionStorage.removeItem(TOKEN_KEY);
  } catch {
    // storage disabled: the token lives until the page is reloaded
  }
  memoryToken = token;
}

const token = () => getToken() || memoryToken;

/** @typedef {(why: 'refused' | 'required') => Promise<void>} TokenPrompt */

/**
 * Asks the user for a token; set by the app (resolves once a new token was entered).
 * @type {TokenPrompt}
 */
let askForToken = () => Promise.reject(new Error('no token prompt'));
/**
 * One prompt at a time: concurrent 401s wait for the same answer.
 * @type {Promise<void> | null}
 */
let pendingPrompt = null;

/**
 * Sets what a 401 asks the user.
 * @param {TokenPrompt} prompt
 */
export function onUnauthorized(prompt) {
  askForToken = prompt;
}

/** @typedef {Readonly<Record<string, string | number | boolean | null | undefined>>} Params */

/** @param {Params | undefined} params */
function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params ?? {})) {
    if (v === undefined || v === null || v === '') continue;
    q.set(k, String(v));
  }
  const s = q.toString();
  return s ? `?${s}` : '';
}

/**
 * Calls the API. `path` is relative to /api/v1 ('/status'); the answer is typed by the API's
 * OpenAPI description (types/api.d.ts). Rejects with an ApiError; on 401 it prompts for a token
 * and tries again.
 * @template {import('../types/api').ApiPath} P
 * @template {import('../types/api').ApiMethod} [M='GET']
 * @param {P} path
 * @param {{ method?: M, params?: Params, body?: import('../types/api').ApiBody<P, M>,
 *   signal?: AbortSignal }} [options]
 * @returns {Promise<import('../types/api').ApiAnswer<P, M>>}
 */
export async function api(path, options = {}) {
  const { method = 'GET', params, body, signal } = options;
  for (let attempt = 0; ; attempt += 1) {
    /** @type {Record<string, string>} */
    const headers = { accept: 'application/json' };
    const t = token();
    if (t) headers.authorization = `Bearer ${t}`;
    // the agent takes state changes only as JSON (a guard against cross-site requests)
    const sent = body === undefined && method !== 'GET' ? {} : body;
    if (sent !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${BASE}${path}${query(params)}`, {
      method,
      headers,
      ...(sent === undefined ? {} : { body: JSON.stringify(sent) }),
      ...(signal === undefined ? {} : { signal }),
      cache: 'no-store',
    });
    const text = await res.text();
    /** @type {unknown} */
    let data = null;
    try {
      data = text ? JSON.parse(text) : null;
    } catch {
      data = null;
    }
    if (res.status === 401 && attempt < 5) {
      pendingPrompt ??= askForToken(t ? 'refused' : 'required').finally(() => {
        pendingPrompt = null;
      });
      await pendingPrompt;
      continue;
    }
    if (!res.ok) throw new ApiError(res.status, data);
    // the agent encodes every answer through the schema these types are generated from
    return /** @type {import('../types/api').ApiAnswer<P, M>} */ (data);
  }
}

/** The SSE URL, with ?token= when one was entered (EventSource cannot send headers). */
export function streamUrl() {
  return `${BASE}/stream${query({ token: token() })}`;
}
