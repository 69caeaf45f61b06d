// The agent's /api/v1 as the dashboard uses it: JSON calls authenticated by the session cookie
// that the one-time link set (sent by the browser itself), or by a bearer token entered in the
// prompt that a 401 opens (kept in sessionStorage); and the server-sent-events stream.

const TOKEN_KEY = 's3ferry.token';
const BASE = '/api/v1';

/** Fallback when sessionStorage is unavailable. */
let memoryToken = '';

/** An error answer of the API: { error: { code, message, hint?, field? } }. */
export class ApiError extends Error {
  constructor(status, body) {
    const e = (body && body.error) || {};
    super(e.message || `the agent answered HTTP ${status}`);
    this.name = 'ApiError';
    this.status = status;
    this.code = e.code || `HTTP_${status}`;
    this.hint = e.hint;
    this.field = e.field;
  }
}

export function getToken() {
  try {
    return sessionStorage.getItem(TOKEN_KEY) || '';
  } catch {
    return '';
  }
}

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

/** Asks the user for a token; set by the app (resolves once a new token was entered). */
let askForToken = async () => {
  throw new Error('no token prompt');
};
/** One prompt at a time: concurrent 401s wait for the same answer. */
let pendingPrompt = null;

export function onUnauthorized(prompt) {
  askForToken = prompt;
}

function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params || {})) {
    if (v === undefined || v === null || v === '') continue;
    q.set(k, String(v));
  }
  const s = q.toString();
  return s ? `?${s}` : '';
}

/**
 * Calls the API. `path` is relative to /api/v1 ('/status'). Rejects with an ApiError; on 401 it
 * prompts for a token and tries again.
 */
export async function api(path, { method = 'GET', params, body, signal } = {}) {
  for (let attempt = 0; ; attempt += 1) {
    const headers = { accept: 'application/json' };
    const t = token();
    if (t) headers.authorization = `Bearer ${t}`;
    // the agent takes state changes only as JSON (a guard against cross-site requests)
    const sent = body === undefined && method !== 'GET' ? {} : body;
    if (sent !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${BASE}${path}${query(params)}`, {
      method,
      headers,
      body: sent === undefined ? undefined : JSON.stringify(sent),
      signal,
      cache: 'no-store',
    });
    const text = await res.text();
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
    return data;
  }
}

/** The SSE URL, with ?token= when one was entered (EventSource cannot send headers). */
export function streamUrl() {
  return `${BASE}/stream${query({ token: token() })}`;
}
