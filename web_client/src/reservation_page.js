// The page a reservation's QR code opens (/r/CODE): where and when, the QR to show at the desk,
// what to do next for its status, and confirm / cancel for the shopper.

import { fetchProducts } from "./api.js";
import { cancelReservation, confirmReservation, fetchReservation } from "./commerce_api.js";
import { formatRemaining, startCountdown } from "./hold_countdown.js";
import { ApiError, NetworkError } from "./json_http.js";
import { describeSlot, reservationCard } from "./reservation_card.js";
import { formatMoment, zoneCity } from "./store_time.js";

const byId = (id) => document.getElementById(id);
const message = byId("message");
const holder = byId("reservation");
const next = byId("next");
const nextText = byId("next-text");
const confirmButton = byId("confirm");
const cancelButton = byId("cancel");
const CANCELLABLE = new Set(["held", "confirmed"]);

let reservation = null;
let catalog = [];
let stopCountdown = null;

/** `/r/CODE` (the QR's address), or `?code=CODE`. */
export function codeFromLocation(loc = location) {
  const parts = loc.pathname.split("/").filter(Boolean);
  const fromPath = parts[0] === "r" && parts[1] ? decodeURIComponent(parts[1]) : "";
  return (fromPath || new URLSearchParams(loc.search).get("code") || "").trim().toUpperCase();
}

/** What the shopper should do now, in one or two sentences, for each status. */
export function nextStepText(r) {
  const zone = r.store?.timezone ?? "UTC";
  const store = r.store?.name ?? "the store";
  const until = r.expires_at ? `${formatMoment(r.expires_at, zone)} (${zoneCity(zone)} time)` : "";
  switch (r.status) {
    case "held":
      return `It is held for you until ${until}. Confirm it now, or it is released.`;
    case "confirmed":
      return r.slot_start
        ? `Go to ${store} for your fitting, ${describeSlot(r)}, and show this QR code (or the code) at the desk.`
        : `Pick it up at ${store} before ${until}: show this QR code (or the code) at the desk.`;
    case "checked_in":
      return `You are checked in at ${store}: the staff are bringing it to you.`;
    case "fulfilled":
      return "It is yours. Enjoy wearing it!";
    case "cancelled":
      return "This reservation was cancelled. You can reserve again from the try-on page.";
    case "expired":
      return "This hold lapsed before it was confirmed. You can reserve again from the try-on page.";
    case "no_show":
      return "The fitting time passed without a visit, so the item went back on the shelf. You can reserve again.";
    default:
      return "";
  }
}

function show(found) {
  reservation = found;
  const entry = catalog.find((product) => product.id === found.product_id) ?? null;
  holder.replaceChildren(reservationCard(found, { catalogEntry: entry, qr: !["cancelled", "expired", "no_show", "fulfilled"].includes(found.status) }));
  next.hidden = false;
  nextText.textContent = nextStepText(found);
  confirmButton.hidden = found.status !== "held";
  cancelButton.hidden = !CANCELLABLE.has(found.status);
  byId("tryon-link").href = `/?product=${encodeURIComponent(found.product_id ?? "")}&variant=${encodeURIComponent(found.variant ?? "")}`;
  stopCountdown?.();
  stopCountdown = null;
  if (found.status === "held") {
    stopCountdown = startCountdown(found.expires_at, {
      onTick: (ms) => { confirmButton.textContent = `Confirm reservation (${formatRemaining(ms)} left)`; },
      onLapsed: () => load(),
    });
  }
}

function showMessage(text, kind = "info") {
  message.textContent = text;
  message.dataset.kind = kind;
  message.hidden = !text;
}

function explain(error, code) {
  if (error instanceof ApiError && error.status === 404) {
    return `There is no reservation with the code ${code}. Check it against your confirmation (letters and digits, in groups of four).`;
  }
  if (error instanceof ApiError && error.status === 429) return `${error.message}.`;
  if (error instanceof NetworkError) return "The server could not be reached. Check your connection and reload the page.";
  return error.message;
}

async function load() {
  const code = codeFromLocation();
  if (!code) return showMessage("This address has no reservation code in it: open the link from your confirmation.", "error");
  try {
    show(await fetchReservation(code));
    showMessage("");
  } catch (error) {
    holder.replaceChildren();
    next.hidden = true;
    showMessage(explain(error, code), "error");
  }
}

async function act(work, doneText) {
  confirmButton.disabled = true;
  cancelButton.disabled = true;
  try {
    show(await work(reservation.code));
    showMessage(doneText, "info");
  } catch (error) {
    showMessage(error instanceof ApiError && error.status === 409 ? `${error.message}.` : explain(error, reservation.code), "error");
    await load();
  } finally {
    confirmButton.disabled = false;
    cancelButton.disabled = false;
  }
}

confirmButton.addEventListener("click", () => act(confirmReservation, "Confirmed. See you at the store."));
cancelButton.addEventListener("click", () => {
  if (!window.confirm(`Cancel reservation ${reservation.code}? The item goes back on the shelf.`)) return;
  act(cancelReservation, "Cancelled. Nothing more to do.");
});

fetchProducts()
  .then((products) => { catalog = products; })
  .catch((error) => console.warn("tryon: catalog unavailable, showing product ids", error))
  .finally(load);
