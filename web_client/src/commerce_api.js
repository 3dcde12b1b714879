// The shopper's commerce endpoints: nearby stock, fitting slots, reservations by code.

import { requestJson } from "./json_http.js";

const SEARCH_RADIUS_KM = 25;
const SLOTS_PER_STORE = 3; // the next free slots shown on each store's card
export const SLOT_DAYS = 7;

const code = (value) => encodeURIComponent(value);

/** Stores near `where` ({lat, lon} or {postcode}) with `sku` in stock, nearest first. */
export function findStores(sku, where) {
  const params = new URLSearchParams({ sku, radius_km: SEARCH_RADIUS_KM, slots: SLOTS_PER_STORE });
  if (where.postcode) params.set("postcode", where.postcode);
  else {
    params.set("lat", where.lat);
    params.set("lon", where.lon);
  }
  return requestJson(`/api/availability?${params}`);
}

/** {store_id, timezone, slot_minutes, slots: [{start, end, capacity, places_left}]} for the next days. */
export function fetchSlots(storeId, days = SLOT_DAYS) {
  return requestJson(`/api/stores/${code(storeId)}/slots?days=${days}`);
}

/** Hold stock (and a slot place); the same `idempotencyKey` on a retry returns the same hold. */
export function createReservation(request, idempotencyKey) {
  return requestJson("/api/reservations", { method: "POST", body: request, headers: { "Idempotency-Key": idempotencyKey } });
}

export function confirmReservation(reservationCode, contact) {
  return requestJson(`/api/reservations/${code(reservationCode)}/confirm`, { method: "POST", body: contact ? { contact } : {} });
}

export function fetchReservation(reservationCode) {
  return requestJson(`/api/reservations/${code(reservationCode)}`);
}

export function cancelReservation(reservationCode) {
  return requestJson(`/api/reservations/${code(reservationCode)}/cancel`, { method: "POST" });
}

/**
 * A fresh Idempotency-Key. `crypto.randomUUID` exists only in secure contexts (https, localhost);
 * a shop tablet on plain http still gets a random v4 UUID from `getRandomValues`.
 */
export function newIdempotencyKey() {
  if (typeof crypto.randomUUID === "function") return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = [...bytes].map((byte) => byte.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
