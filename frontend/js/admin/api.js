// The organiser API client: same origin, under /api, `Authorization: Bearer <token>` on every
// /api/admin call. Every failure becomes an ApiError. A refusal by the authorizer (401, or a 403
// without our JSON error body) means the token itself was not accepted: the registered handler
// signs the organiser out. A 403 in our error shape ("forbidden") is a token that is valid but
// may not act on this letter.
import { ApiError, request } from "../http.js";
import { currentToken } from "./session.js";

/** Refused before reaching the app: a missing, wrong, revoked or locked-out token. */
const refused = (err) => err.status === 401 || (err.status === 403 && (!err.fromApp || err.code === "token_refused"));

let onRefused = () => {};
/** fn(err) runs whenever the token is refused (before the error is thrown to the caller). */
export function onTokenRefused(fn) { onRefused = fn; }

export async function call(method, path, { body, token, admin = true } = {}) {
  const headers = admin ? { Authorization: `Bearer ${token ?? currentToken()}` } : {};
  try {
    return await request(method, path, { body, headers, cache: "no-store", referrerPolicy: "no-referrer" });
  } catch (err) {
    if (err instanceof ApiError) {
      err.tokenRefused = refused(err);
      if (admin && err.tokenRefused) onRefused(err);
    }
    throw err;
  }
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
// options: { states } for the lists, { date } for the delivery letter (sent only when set).
// Exports, snapshot cuts and recounts answer with a job (jobs.js follows it).
export const exportLetter = (slug, format, includeEmail, options = {}) =>
  call("POST", `${base(slug)}/exports`, { body: { format, include_email: includeEmail, ...options } });
export const getJob = (slug, id) => call("GET", `${base(slug)}/jobs/${q(id)}`);
export const listSnapshots = (slug) => call("GET", `${base(slug)}/snapshots`);
export const cutSnapshot = (slug, force = false) => call("POST", `${base(slug)}/snapshots`, { body: { force } });
export const recount = (slug, fix = false) => call("POST", `${base(slug)}/recount`, { body: { fix } });
export const auditTrail = (slug, { cursor, limit = 50 } = {}) =>
  call("GET", `${base(slug)}/audit${query({ cursor, limit })}`);
export const listDeliveries = (slug) => call("GET", `${base(slug)}/deliveries`);
export const previewDelivery = (slug, body) => call("POST", `${base(slug)}/deliveries/preview`, { body });
export const sendDelivery = (slug, body) => call("POST", `${base(slug)}/deliveries`, { body });
// body: { format, content (base64), mapping, source, default_kind?, notify, dry_run }
export const importFile = (slug, body) => call("POST", `${base(slug)}/imports`, { body });
export const whoAmI = (token) => call("GET", "/admin/me", { token });
export const listPartners = (slug) => call("GET", `${base(slug)}/partners`);
export const getPartner = (slug, code) => call("GET", `${base(slug)}/partners/${q(code)}`);
export const addPartner = (slug, body) => call("POST", `${base(slug)}/partners`, { body });
// A partner's export is a job too; a partner's own token follows it on its own route.
export const exportPartner = (slug, code, body = {}) =>
  call("POST", `${base(slug)}/partners/${q(code)}/exports`, { body });
export const getPartnerExport = (slug, code, id) =>
  call("GET", `${base(slug)}/partners/${q(code)}/exports/${q(id)}`);
export const partnerToken = (slug, code, name) =>
  call("POST", "/admin/tokens", { body: { name, partner: `${slug}/${code}` } });
