// The public API client: one function per route, over the shared fetch client (./http.js).
import { request } from "./http.js";

export { ApiError } from "./http.js";

const call = (method, path, body) => request(method, path, { body });
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
// RFC 8058's one-click URL, as a mail client POSTs it (the token names a signature).
export const unsubscribe = (token) => call("POST", `/unsubscribe?token=${q(token)}`, {});
// A link's token (confirm / withdraw): signature id + secret + letter slug.
export const TOKEN_RE = /^[A-Za-z0-9_-]{70,160}$/;
export const getPartner = (slug, code) => call("GET", `/letters/${q(slug)}/partners/${q(code)}`);
