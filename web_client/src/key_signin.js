// Signing in with a key on the staff and analytics pages: asked for once, checked against /api/me,
// kept in sessionStorage (gone when the tab closes, never in a cookie), cleared by "Sign out".

import { fetchMe } from "./back_office_api.js";
import { ApiError, NetworkError } from "./json_http.js";

export class KeySignin {
  /**
   * `storageName`: the sessionStorage entry; `elements`: {form, input, message, signOut, who};
   * `accept(me)` returns an error sentence when this page cannot use that key (e.g. not admin).
   */
  constructor(storageName, { form, input, message, signOut, who }, { accept = () => null } = {}) {
    Object.assign(this, { storageName, form, input, message, signOut, who, accept });
    this.onSignedIn = () => {};
    this.onSignedOut = () => {};
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.signIn(input.value.trim());
    });
    signOut.addEventListener("click", () => this.signOutNow());
  }

  get key() {
    return sessionStorage.getItem(this.storageName);
  }

  /** Sign in with the kept key if there is one, else show the form. */
  async start() {
    const kept = this.key;
    if (kept) await this.signIn(kept, { quiet: true });
    else this.showForm();
  }

  async signIn(key, { quiet = false } = {}) {
    if (!key) return this.showForm("Paste your key first.");
    this.say(quiet ? "" : "Checking the key\u2026");
    try {
      const me = await fetchMe(key);
      const refusal = this.accept(me);
      if (refusal) throw new Error(refusal);
      sessionStorage.setItem(this.storageName, key);
      this.form.hidden = true;
      this.input.value = "";
      this.say("");
      this.who.textContent = me.role === "admin" && me.name === "admin" ? "Signed in with the admin key"
        : `Signed in as ${me.name}${me.role === "admin" ? " (admin)" : ""}`;
      this.signOut.hidden = false;
      this.onSignedIn(me, key);
    } catch (error) {
      sessionStorage.removeItem(this.storageName);
      this.showForm(describeKeyError(error));
    }
  }

  signOutNow() {
    sessionStorage.removeItem(this.storageName);
    this.onSignedOut();
    this.showForm("Signed out.", "info");
  }

  showForm(text = "", kind = "error") {
    this.form.hidden = false;
    this.who.textContent = "";
    this.signOut.hidden = true;
    this.say(text, kind);
    this.input.focus();
  }

  say(text, kind = "error") {
    this.message.textContent = text;
    this.message.dataset.kind = kind;
    this.message.hidden = !text;
  }
}

export function describeKeyError(error) {
  if (error instanceof ApiError && error.status === 401) return "That key is not valid (mistyped, or revoked). Check it and try again.";
  if (error instanceof NetworkError) return "The server could not be reached. Check the connection and try again.";
  return error.message;
}
