// The store desk (/staff): sign in with a staff key, pick one of its stores and a day, act on the
// reservations (check in, fulfil, no-show, cancel), find one by code or QR scan, kept fresh by
// Server-Sent Events or, failing those, polling.

import { fetchProducts } from "./api.js";
import { applyStaffAction, fetchDayReservations, fetchStoreReservation, storeEventsUrl } from "./back_office_api.js";
import { ApiError, NetworkError } from "./json_http.js";
import { KeySignin } from "./key_signin.js";
import { LiveUpdates } from "./live_updates.js";
import { codeFromScan, QrScanner } from "./qr_scanner.js";
import { reservationCard, STATUS_LABELS } from "./reservation_card.js";
import { ACTION_LABELS, ACTIONS_TO_CONFIRM, actionButtons, renderDayList } from "./staff_day_list.js";
import { todayAt } from "./store_time.js";

const KEY_STORAGE = "tryon.staffKey";
const STORE_STORAGE = "tryon.staffStore";
const REFRESH_DEBOUNCE_MS = 300; // a burst of events (an expiry sweep) is one reload

const byId = (id) => document.getElementById(id);
const ui = {
  desk: byId("desk"), store: byId("store"), date: byId("date"), refresh: byId("refresh"), live: byId("live"),
  message: byId("message"), rows: byId("day-rows"), empty: byId("list-empty"), codeForm: byId("code-form"),
  code: byId("code"), scan: byId("scan"), scanner: byId("scanner"), codeMessage: byId("code-message"),
  codeResult: byId("code-result"), listTitle: byId("list-title"),
};

/** What the desk is showing, for the browser tests and for debugging from the console. */
const state = { signedIn: false, storeId: null, date: null, loads: 0, events: 0, live: null, lastError: null };
window.staffState = state;

let key = null;
let role = null;
let stores = [];
let catalog = [];
let live = null;
let openCode = null;
let refreshTimer = null;

const scanner = new QrScanner(byId("scanner-video"), {
  onCode: (text) => {
    showScanner(false);
    ui.code.value = codeFromScan(text);
    openReservation(ui.code.value);
  },
  onError: (text) => {
    showScanner(false);
    say(ui.codeMessage, text, "error");
  },
});

const signin = new KeySignin(KEY_STORAGE, {
  form: byId("signin"), input: byId("key"), message: byId("signin-message"), signOut: byId("sign-out"), who: byId("who"),
});
signin.onSignedIn = (me, signedKey) => openDesk(me, signedKey);
signin.onSignedOut = closeDesk;

ui.store.addEventListener("change", () => chooseStore(Number(ui.store.value)));
ui.date.addEventListener("change", () => {
  state.date = ui.date.value || null;
  loadList();
});
ui.refresh.addEventListener("click", () => loadList());
ui.codeForm.addEventListener("submit", (event) => {
  event.preventDefault();
  openReservation(codeFromScan(ui.code.value));
});
ui.scan.addEventListener("click", toggleScanner);

fetchProducts()
  .then((products) => { catalog = products; })
  .catch((error) => console.warn("tryon: catalog unavailable, showing product ids", error))
  .finally(() => signin.start());

// --- stores and days ---------------------------------------------------------------------------

function openDesk(me, signedKey) {
  key = signedKey;
  role = me.role;
  stores = me.stores ?? [];
  state.signedIn = true;
  ui.desk.hidden = false;
  const asked = Number(new URLSearchParams(location.search).get("store")) || Number(sessionStorage.getItem(STORE_STORAGE)) || null;
  const options = stores.map((store) => new Option(store.name, store.id));
  // A link to a store the key does not cover still opens it, so the refusal is explained, not hidden.
  if (asked && !stores.some((store) => store.id === asked)) options.push(new Option(`Store ${asked} (not on your key)`, asked));
  ui.store.replaceChildren(...options);
  if (!options.length) return say(ui.message, "This key covers no store yet. Ask your manager to add yours.", "error");
  chooseStore(asked ?? stores[0].id);
}

function closeDesk() {
  live?.stop();
  live = null;
  scanner.stop();
  key = null;
  Object.assign(state, { signedIn: false, storeId: null, live: null });
  ui.desk.hidden = true;
  ui.rows.replaceChildren();
  ui.codeResult.replaceChildren();
}

const storeById = (id) => stores.find((store) => store.id === id) ?? null;
const storeName = (id) => storeById(id)?.name ?? `store ${id}`;
const storeZone = () => storeById(state.storeId)?.timezone ?? "UTC";

function chooseStore(storeId) {
  state.storeId = storeId;
  ui.store.value = String(storeId);
  sessionStorage.setItem(STORE_STORAGE, String(storeId));
  const url = new URL(location.href);
  url.searchParams.set("store", storeId);
  history.replaceState(null, "", url);
  state.date = todayAt(storeZone());
  ui.date.value = state.date;
  openCode = null;
  ui.codeResult.replaceChildren();
  say(ui.codeMessage, "");
  subscribe();
  loadList();
}

async function loadList() {
  const storeId = state.storeId;
  ui.listTitle.textContent = `Reservations at ${storeName(storeId)} on ${state.date}`;
  try {
    const day = await fetchDayReservations(key, storeId, state.date);
    if (storeId !== state.storeId) return;
    state.loads += 1;
    renderDayList(ui.rows, day.reservations, { timeZone: day.timezone, catalog, onAction: act });
    ui.empty.hidden = day.reservations.length > 0;
    if (state.lastError) say(ui.message, "");
    state.lastError = null;
  } catch (error) {
    ui.rows.replaceChildren();
    ui.empty.hidden = true;
    state.lastError = { status: error.status ?? null, message: error.message };
    report(error, ui.message);
  }
}

// --- one reservation by code -------------------------------------------------------------------

async function openReservation(code) {
  if (!code) return say(ui.codeMessage, "Type or scan a reservation code first.", "error");
  say(ui.codeMessage, `Looking up ${code}\u2026`);
  try {
    showOpened(await fetchStoreReservation(key, state.storeId, code));
    say(ui.codeMessage, "");
  } catch (error) {
    openCode = null;
    ui.codeResult.replaceChildren();
    if (error instanceof ApiError && error.status === 404) {
      say(ui.codeMessage, `No reservation ${code} at ${storeName(state.storeId)}. Check the code, and that this is the right store.`, "error");
    } else report(error, ui.codeMessage);
  }
}

function showOpened(reservation) {
  openCode = reservation.code;
  const entry = catalog.find((product) => product.id === reservation.product_id) ?? null;
  const card = reservationCard(reservation, { catalogEntry: entry, contact: true });
  card.append(actionButtons(reservation, act));
  ui.codeResult.replaceChildren(card);
}

// --- actions -----------------------------------------------------------------------------------

async function act(reservation, action) {
  if (ACTIONS_TO_CONFIRM.has(action) && !window.confirm(`${ACTION_LABELS[action]} reservation ${reservation.code}?`)) return;
  try {
    const updated = await applyStaffAction(key, state.storeId, reservation.code, action);
    say(ui.message, `${updated.code}: ${STATUS_LABELS[updated.status] ?? updated.status}.`, "info");
    if (openCode === updated.code) showOpened(updated);
  } catch (error) {
    report(error, ui.message);
  }
  await loadList();
}

// --- live refresh ------------------------------------------------------------------------------

function subscribe() {
  live?.stop();
  live = new LiveUpdates({
    // The stream's key rides in its URL (and so in access logs): never the admin key's.
    url: role === "admin" ? null : storeEventsUrl(key, state.storeId),
    storeId: state.storeId,
    onChange: (topic) => {
      if (topic) state.events += 1;
      scheduleRefresh();
    },
    onStatus: ({ live: isLive, text }) => {
      state.live = isLive;
      ui.live.textContent = text;
      ui.live.dataset.live = String(isLive);
    },
  });
  live.start();
}

function scheduleRefresh() {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(() => {
    loadList();
    if (openCode) fetchStoreReservation(key, state.storeId, openCode).then(showOpened).catch((error) => report(error, ui.codeMessage));
  }, REFRESH_DEBOUNCE_MS);
}

// --- scanning ----------------------------------------------------------------------------------

async function toggleScanner() {
  if (scanner.running) {
    scanner.stop();
    return showScanner(false);
  }
  showScanner(true);
  say(ui.codeMessage, "Hold the shopper's QR code in front of the camera\u2026");
  try {
    await scanner.start();
  } catch (error) {
    showScanner(false);
    say(ui.codeMessage, error.message, "error");
  }
}

function showScanner(shown) {
  ui.scanner.hidden = !shown;
  ui.scan.setAttribute("aria-pressed", String(shown));
  ui.scan.textContent = shown ? "Stop scanning" : "Scan QR";
}

// --- messages ----------------------------------------------------------------------------------

function report(error, where) {
  if (error instanceof ApiError && error.status === 403) {
    return say(where, `Your key does not cover ${storeName(state.storeId)} (the server said: ${error.message}). `
      + "Choose one of your stores, or ask your manager for a key that covers this one.", "error");
  }
  if (error instanceof ApiError && error.status === 401) {
    signin.signOutNow();
    return signin.say("The key is no longer valid (revoked?). Sign in with a current one.");
  }
  if (error instanceof NetworkError) return say(where, "The server could not be reached. Check the connection; the list refreshes when it is back.", "error");
  say(where, error.message, "error");
}

function say(where, text, kind = "info") {
  where.textContent = text;
  where.dataset.kind = kind;
  where.hidden = !text;
}

