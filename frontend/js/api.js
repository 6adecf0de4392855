// The API client: same origin, under /api. Every failure becomes an ApiError with the
// API's error body ({status, code, message, fields, request_id}) and Retry-After.
export class ApiError extends Error {
  constructor(status, body, retryAfter) {
    const e = (body && body.error) || {};
    super(e.message || `HTTP ${status}`);
    this.status = status;
    this.code = e.code || (status === 0 ? "network" : status >= 500 ? "internal_error" : "unknown");
    this.fields = Array.isArray(e.fields) ? e.fields : [];
    this.requestId = e.request_id || null;
    this.retryAfter = retryAfter;
  }
}

async function call(method, path, body) {
  let resp;
  try {
    resp = await fetch(`/api${path}`, {
      method,
      headers: body === undefined ? { Accept: "application/json" } : { "Content-Type": "application/json", Accept: "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "same-origin",
      cache: "no-cache",
    });
  } catch {
    throw new ApiError(0, null, null);
  }
  let data = null;
  try { data = await resp.json(); } catch { /* non-JSON (e.g. a proxy's page) */ }
  if (!resp.ok) {
    const ra = parseInt(resp.headers.get("Retry-After") || "", 10);
    throw new ApiError(resp.status, data, Number.isFinite(ra) ? ra : null);
  }
  return data;
}

const q = encodeURIComponent;
export const listLetters = () => call("GET", "/letters");
export const getLetter = (slug) => call("GET", `/letters/${q(slug)}`);
export function listSignatures(slug, { cursor, limit = 100, kind } = {}) {
  const p = new URLSearchParams({ limit: String(limit) });
  if (cursor) p.set("cursor", cursor);
  if (kind) p.set("kind", kind);
  return call("GET", `/letters/${q(slug)}/signatures?${p}`);
}
export const sign = (slug, payload) => call("POST", `/letters/${q(slug)}/signatures`, payload);
export const confirm = (token) => call("POST", "/confirmations", { token });
export const withdraw = (token) => call("POST", "/withdrawals", { token });
// A link's token (confirm / withdraw): signature id + secret + letter slug.
export const TOKEN_RE = /^[A-Za-z0-9_-]{70,160}$/;
