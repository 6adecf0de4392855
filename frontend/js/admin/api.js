// The organiser API client: same origin, under /api, `Authorization: Bearer <token>` on every
// /api/admin call. Every failure becomes an ApiError. A refusal by the authorizer (401, or a 403
// without our JSON error body) means the token itself was not accepted: the registered handler
// signs the organiser out. A 403 in our error shape ("forbidden") is a token that is valid but
// may not act on this letter.
import { currentToken } from "./session.js";

export class ApiError extends Error {
  constructor(status, body, retryAfter) {
    const e = (body && body.error) || {};
    super(e.message || (status === 0 ? "The server could not be reached." : `HTTP ${status}`));
    this.status = status;
    this.code = e.code || (status === 0 ? "network" : status >= 500 ? "internal_error" : "unknown");
    this.fields = Array.isArray(e.fields) ? e.fields : [];
    this.requestId = e.request_id || null;
    this.retryAfter = retryAfter;
    // Refused before reaching the app: a missing, wrong, revoked or locked-out token.
    this.tokenRefused = status === 401 || (status === 403 && (!body?.error || e.code === "token_refused"));
  }
}

let onRefused = () => {};
/** fn(err) runs whenever the token is refused (before the error is thrown to the caller). */
export function onTokenRefused(fn) { onRefused = fn; }

async function call(method, path, { body, token, admin = true } = {}) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (admin) headers.Authorization = `Bearer ${token ?? currentToken()}`;
  let resp;
  try {
    resp = await fetch(`/api${path}`, {
      method, headers, body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "same-origin", cache: "no-store", referrerPolicy: "no-referrer",
    });
  } catch {
    throw new ApiError(0, null, null);
  }
  let data = null;
  try { data = await resp.json(); } catch { /* non-JSON (e.g. a proxy's page) */ }
  if (!resp.ok) {
    const ra = parseInt(resp.headers.get("Retry-After") || "", 10);
    const err = new ApiError(resp.status, data, Number.isFinite(ra) ? ra : null);
    if (admin && err.tokenRefused) onRefused(err);
    throw err;
  }
  return data;
}

const q = encodeURIComponent;
const base = (slug) => `/admin/letters/${q(slug)}`;

/** Query string from an object, leaving out empty values. */
export function query(params) {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== "") p.set(k, String(v));
  const s = p.toString();
  return s ? `?${s}` : "";
}

// public reads
export const listLetters = () => call("GET", "/letters", { admin: false });
export const getLetter = (slug) => call("GET", `/letters/${q(slug)}`, { admin: false });

// organisers
export const searchSignatures = (slug, filters, { cursor, limit = 100, token } = {}) =>
  call("GET", `${base(slug)}/signatures${query({ ...filters, cursor, limit })}`, { token });
export const act = (slug, id, action, extra = {}) =>
  call("POST", `${base(slug)}/signatures/${q(id)}/actions`, { body: { action, ...extra } });
export const bulk = (slug, ids, action, reason) =>
  call("POST", `${base(slug)}/bulk`, { body: reason ? { ids, action, reason } : { ids, action } });
export const invalidate = (slug, body) => call("POST", `${base(slug)}/invalidations`, { body });
export const setStatus = (slug, status, closesAt) =>
  call("POST", `${base(slug)}/status`, { body: closesAt ? { status, closes_at: closesAt } : { status } });
export const exportLetter = (slug, format, includeEmail) =>
  call("POST", `${base(slug)}/exports`, { body: { format, include_email: includeEmail } });
export const listSnapshots = (slug) => call("GET", `${base(slug)}/snapshots`);
export const cutSnapshot = (slug) => call("POST", `${base(slug)}/snapshots`, { body: { force: false } });
export const auditTrail = (slug, { cursor, limit = 50 } = {}) =>
  call("GET", `${base(slug)}/audit${query({ cursor, limit })}`);
