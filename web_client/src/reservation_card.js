// A reservation drawn the same way everywhere (try-on receipt, the shopper's page, the staff desk):
// its code in big letters, status badge, product, store and slot in the store's own time.

import { el } from "./element.js";
import { formatMoment, formatSlot, zoneCity } from "./store_time.js";

export const STATUS_LABELS = {
  held: "Held",
  confirmed: "Confirmed",
  checked_in: "Checked in",
  fulfilled: "Fulfilled",
  cancelled: "Cancelled",
  expired: "Expired",
  no_show: "No-show",
};

/** Statuses whose time still runs out at `expires_at` (see server/commerce/statuses.py LAPSING). */
const LAPSING = new Set(["held", "confirmed"]);

export function statusBadge(status) {
  return el("span", { class: "badge", "data-status": status, "data-testid": "status-badge" }, STATUS_LABELS[status] ?? status);
}

/** "Round Classic, black" from the catalog entry when known, else the SKU. */
export function describeProduct(reservation, catalogEntry) {
  const name = catalogEntry?.name ?? reservation.product_id ?? reservation.sku;
  return reservation.variant ? `${name}, ${reservation.variant}` : name;
}

/** "Wed 2 Dec, 11:00–11:30 (Paris time)". */
export function describeSlot(reservation) {
  const zone = reservation.store?.timezone ?? "UTC";
  if (!reservation.slot_start) return "Pick up any time before it lapses";
  return `${formatSlot(reservation.slot_start, reservation.slot_end, zone)} (${zoneCity(zone)} time)`;
}

/**
 * The card. Options: `catalogEntry` (product names), `qr` (show the QR image), `pageLink`
 * (link to /r/CODE), `contact` (show the shopper's contact, for staff).
 */
export function reservationCard(reservation, { catalogEntry = null, qr = false, pageLink = false, contact = false } = {}) {
  const zone = reservation.store?.timezone ?? "UTC";
  const rows = [
    ["Product", describeProduct(reservation, catalogEntry) + (reservation.quantity > 1 ? ` \u00d7 ${reservation.quantity}` : "")],
    ["Store", [reservation.store?.name ?? `Store ${reservation.store_id}`, reservation.store?.address ? el("br") : null, reservation.store?.address ?? ""]],
    ["Fitting", describeSlot(reservation)],
  ];
  if (LAPSING.has(reservation.status) && reservation.expires_at) {
    rows.push([reservation.status === "held" ? "Held until" : "Kept until", `${formatMoment(reservation.expires_at, zone)} (${zoneCity(zone)} time)`]);
  }
  if (contact && reservation.contact) {
    const { name, email, phone } = reservation.contact;
    rows.push(["Contact", [name, email, phone].filter(Boolean).join(" \u00b7 ")]);
  }
  return el("article", { class: "reservation-card", "data-testid": "reservation-card", "data-code": reservation.code },
    el("div", { class: "reservation-head" },
      el("p", { class: "reservation-code", "data-testid": "reservation-code", "aria-label": `Reservation code ${reservation.code}` }, reservation.code),
      statusBadge(reservation.status)),
    qr && reservation.links?.qr_svg
      ? el("img", { class: "reservation-qr", "data-testid": "reservation-qr", src: reservation.links.qr_svg, width: 200, height: 200,
          alt: `QR code of reservation ${reservation.code}: show it at the store` })
      : null,
    el("dl", { class: "reservation-facts" }, rows.map(([term, value]) => el("div", {}, el("dt", {}, term), el("dd", {}, value)))),
    pageLink && reservation.links?.page
      ? el("p", {}, el("a", { href: reservation.links.page, "data-testid": "reservation-page-link" }, "Open your reservation page"))
      : null);
}
