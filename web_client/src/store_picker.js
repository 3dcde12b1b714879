// The reserve panel's choices drawn from API data: nearby stores as one radio group, then the
// chosen store's fitting slots as a day group and a time group, all in the store's time zone.

import { el } from "./element.js";
import { describeOpening, formatTime, groupSlotsByDay } from "./store_time.js";

const FEW_PLACES = 1; // say "last place" when a slot is down to this

/** One radio per store: name, address, distance, how many are available, opening, next slots. */
export function renderStoreOptions(list, stores, { variant, onChoose, now = new Date() }) {
  list.replaceChildren(...stores.map((store) => {
    const nextSlots = describeNextSlots(store.next_slots ?? [], store.timezone);
    return el("li", {},
      el("label", { class: "store-option", "data-testid": `store-option-${store.store_id}` },
        el("input", { type: "radio", name: "reserve-store", value: store.store_id, onchange: () => onChoose(store) }),
        el("span", { class: "store-body" },
          el("span", { class: "store-name" }, store.name),
          el("span", { class: "store-distance" }, `${formatDistance(store.distance_km)}`),
          el("span", { class: "store-address" }, store.address),
          el("span", { class: "store-stock", "data-testid": "store-stock" }, `${store.available} ${variant} in stock`),
          el("span", { class: store.open_now ? "store-hours open" : "store-hours" }, describeOpening(store, now)),
          el("span", { class: "store-next" }, nextSlots ? `Next fittings: ${nextSlots}` : "No fitting time free soon"))));
  }));
}

/** "Wed 2 Dec 10:00, 10:30; Thu 3 Dec 10:00": each day named once. */
export function describeNextSlots(slots, timeZone) {
  return groupSlotsByDay(slots, timeZone)
    .map((day) => `${day.label} ${day.slots.map((slot) => formatTime(slot.start, timeZone)).join(", ")}`)
    .join("; ");
}

export function formatDistance(km) {
  return km < 1 ? `${Math.round(km * 1000)} m` : `${km.toFixed(1)} km`;
}

/**
 * The slots as days (radio chips) and the picked day's times (radio chips, full ones disabled).
 * Returns the days shown; `onDay(day)` and `onSlot(slot)` report choices.
 */
export function renderDays(group, slots, timeZone, { onDay }) {
  const days = groupSlotsByDay(slots, timeZone).filter((day) => day.slots.some((slot) => slot.places_left > 0));
  group.replaceChildren(el("legend", {}, "Day"), ...days.map((day) =>
    el("label", { class: "chip", "data-testid": `day-${day.day}` },
      el("input", { type: "radio", name: "reserve-day", value: day.day, onchange: () => onDay(day) }),
      el("span", {}, day.label))));
  return days;
}

export function renderTimes(group, day, timeZone, { onSlot }) {
  group.replaceChildren(el("legend", {}, `Time on ${day.label}`), ...day.slots.map((slot) => {
    const full = slot.places_left <= 0;
    const label = formatTime(slot.start, timeZone);
    return el("label", { class: full ? "chip full" : "chip", "data-testid": `slot-${slot.start}`, title: full ? "Full" : null },
      el("input", { type: "radio", name: "reserve-slot", value: slot.start, disabled: full, onchange: () => onSlot(slot) }),
      el("span", {}, label, slot.places_left > 0 && slot.places_left <= FEW_PLACES ? el("small", {}, " last place") : null));
  }));
}

/** Check the radio of a group with `value` (after a redraw keeps the shopper's choice). */
export function checkRadio(group, value) {
  for (const input of group.querySelectorAll('input[type="radio"]')) input.checked = input.value === String(value);
}
