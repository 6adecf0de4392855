// Cloudflare Turnstile, off by default: form.js imports this module only when the letter's
// response carries `turnstile_site_key`, so no third-party request happens otherwise.
//
// CSP: infra/security-headers.json allows no third-party origin. With a Turnstile site key the
// template (and `make run`) serve the page with
//   script-src 'self' https://challenges.cloudflare.com;
//   frame-src https://challenges.cloudflare.com
// (the api.js script, and the iframe it renders the widget in). Nothing else changes.
const SRC = "https://challenges.cloudflare.com/turnstile/v0/api.js?render=explicit";
let loading = null;

function load() {
  if (window.turnstile) return Promise.resolve(window.turnstile);
  if (!loading) {
    loading = new Promise((resolve, reject) => {
      const s = document.createElement("script");
      s.src = SRC;
      s.async = true;
      s.addEventListener("load", () => (window.turnstile ? resolve(window.turnstile) : reject(new Error("turnstile"))));
      s.addEventListener("error", () => { loading = null; s.remove(); reject(new Error("turnstile")); });
      document.head.append(s);
    });
  }
  return loading;
}

/** Render a widget into `container`; returns {token(), reset(), failed()}.
 *  Tokens are single-use: reset() after every request that carried one. */
export function widget(container, siteKey, lang) {
  let token = null, id = null, failed = false;
  container.hidden = false;
  load().then((ts) => {
    id = ts.render(container, {
      sitekey: siteKey,
      language: lang,
      callback: (tok) => { token = tok; },
      "expired-callback": () => { token = null; },
      "error-callback": () => { token = null; },
    });
  }).catch(() => { failed = true; });
  return {
    token: () => token,
    failed: () => failed,
    reset() {
      token = null;
      if (id !== null && window.turnstile) window.turnstile.reset(id);
    },
  };
}
