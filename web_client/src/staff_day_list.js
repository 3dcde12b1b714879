// The staff page's rows: a day's reservations with status badges and only the actions the status
// allows (the same rules as server/commerce/statuses.py ALLOWED_FROM).

import { el } from "./element.js";
import { describeProduct, statusBadge } from "./reservation_card.js";
import { formatTime } from "./store_time.js";

export const ACTIONS_BY_STATUS = {
  held: ["cancel"],
  confirmed: ["check-in", "no-show", "cancel"],
  checked_in: ["fulfil", "cancel"],
};
export const ACTION_LABELS = { "check-in": "Check in", fulfil: "Fulfil", "no-show": "No-show", cancel: "Cancel" };
/** Actions that cannot be undone ask first. */
export const ACTIONS_TO_CONFIRM = new Set(["no-show", "cancel"]);

/** The buttons for one reservation; `onAction(reservation, action)` on click. */
export function actionButtons(reservation, onAction) {
  const actions = ACTIONS_BY_STATUS[reservation.status] ?? [];
  return el("div", { class: "actions" }, actions.map((action) =>
    el("button", {
      type: "button",
      class: action === "cancel" || action === "no-show" ? "secondary" : null,
      "data-action": action,
      "data-testid": `action-${action}`,
      "aria-label": `${ACTION_LABELS[action]} ${reservation.code}`,
      onclick: () => onAction(reservation, action),
    }, ACTION_LABELS[action])));
}

function slotCell(reservation, timeZone) {
  if (!reservation.slot_start) return el("span", { class: "hint" }, "pickup");
  return `${formatTime(reservation.slot_start, timeZone)}\u2013${formatTime(reservation.slot_end, timeZone)}`;
}

/** Fill `tbody` with one row per reservation, fitting time first; `catalog` names the products. */
export function renderDayList(tbody, reservations, { timeZone, catalog, onAction }) {
  const sorted = [...reservations].sort((a, b) =>
    (a.slot_start ?? "~").localeCompare(b.slot_start ?? "~") || a.created_at.localeCompare(b.created_at));
  tbody.replaceChildren(...sorted.map((reservation) => {
    const entry = catalog.find((product) => product.id === reservation.product_id) ?? null;
    return el("tr", { "data-code": reservation.code, "data-testid": "day-row" },
      el("td", { class: "time" }, slotCell(reservation, timeZone)),
      el("td", { class: "code" }, reservation.code),
      el("td", {}, describeProduct(reservation, entry), reservation.quantity > 1 ? ` \u00d7 ${reservation.quantity}` : ""),
      el("td", {}, reservation.contact?.name ?? ""),
      el("td", {}, statusBadge(reservation.status)),
      el("td", { class: "actions-cell" }, actionButtons(reservation, onAction)));
  }));
}
