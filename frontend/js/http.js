// The one fetch client for both API clients (public: ./api.js, organisers: ./admin/api.js):
// same origin, under /api, JSON both ways. Every failure becomes an ApiError carrying the API's
// error body ({status, code, message, fields, request_id}) and Retry-After.
export class ApiError extends Error {
  constructor(status, body, retryAfter) {
    const e = (body && body.error) || {};
    super(e.message || (status === 0 ? "The server could not be reached." : `HTTP ${status}`));
    this.status = status;
    this.code = e.code || (status === 0 ? "network" : status >= 500 ? "internal_error" : "unknown");
    this.fields = Array.isArray(e.fields) ? e.fields : [];
    this.requestId = e.request_id || null;
    this.retryAfter = retryAfter;
    // False when something in front of the app answered (a gateway's authorizer, a proxy's page).
    this.fromApp = Boolean(body && body.error);
  }
}

/** fetch `/api${path}`; resolves to the JSON body, or throws an ApiError (status 0: no answer). */
export async function request(method, path, { body, headers = {}, cache = "no-cache", referrerPolicy } = {}) {
  const h = { Accept: "application/json", ...headers };
  if (body !== undefined) h["Content-Type"] = "application/json";
  let resp;
  try {
    resp = await fetch(`/api${path}`, {
      method, headers: h, body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "same-origin", cache, ...(referrerPolicy ? { referrerPolicy } : {}),
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
