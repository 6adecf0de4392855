// A modal <dialog> asking for one line of text (a rejection reason, a corrected name), or,
// without a `label`, only for confirmation (a bulk approve or hide).
// Resolves with the trimmed text (true when confirm-only), or null when cancelled (button,
// Escape). Focus returns to whatever had it before.
import { $, say } from "./dom.js";

let pending = null;
let confirmOnly = false;

export function ask({ title, text = "", label = null, confirm, value = "", maxLength = 500 }) {
  const dialog = $("ask"), input = $("ask-input"), err = $("ask-err");
  if (pending) pending(null);
  const opener = document.activeElement;
  confirmOnly = label === null;
  input.closest(".field").hidden = confirmOnly;
  $("ask-title").textContent = title;
  $("ask-text").textContent = text;
  $("ask-text").hidden = !text;
  $("ask-label").textContent = label || "";
  $("ask-ok").textContent = confirm;
  input.value = value;
  input.maxLength = maxLength;
  input.removeAttribute("aria-invalid");
  say(err, "");
  return new Promise((resolve) => {
    pending = (result) => {
      pending = null;
      if (dialog.open) dialog.close();
      if (opener && opener.isConnected && typeof opener.focus === "function") opener.focus();
      resolve(result);
    };
    dialog.showModal();
    if (confirmOnly) {
      $("ask-cancel").focus(); // a mass action: the safe choice first; Enter does not confirm
    } else {
      input.focus();
      input.select();
    }
  });
}

export function initAsk() {
  const dialog = $("ask"), input = $("ask-input"), err = $("ask-err");
  $("ask-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    if (confirmOnly) { pending?.(true); return; }
    const v = input.value.normalize("NFC").trim();
    if (!v) {
      say(err, "Please fill this in.");
      input.setAttribute("aria-invalid", "true");
      input.focus();
      return;
    }
    pending?.(v);
  });
  input.addEventListener("input", () => { say(err, ""); input.removeAttribute("aria-invalid"); });
  $("ask-cancel").addEventListener("click", () => pending?.(null));
  dialog.addEventListener("cancel", (ev) => { ev.preventDefault(); pending?.(null); });
}
