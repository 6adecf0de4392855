// The organiser token lives in sessionStorage only: this tab, until sign-out or the tab closes.
// Never localStorage, never a cookie, never the URL.
const KEY = "undersigned.organiser-token";
let memory = ""; // when storage is unavailable the token still works for this page view

export function setToken(token) {
  memory = token;
  try { sessionStorage.setItem(KEY, token); } catch { /* storage disabled: memory only */ }
}

export function clearToken() {
  memory = "";
  try { sessionStorage.removeItem(KEY); } catch { /* nothing stored */ }
}

export function currentToken() {
  try { return sessionStorage.getItem(KEY) || memory; } catch { return memory; }
}
