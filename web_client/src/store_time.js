// Times as the store sees them: the API speaks UTC instants and IANA zones, a shopper in another
// zone still has to be told "10:30 at the shop". Pure functions over Intl.DateTimeFormat.

const LOCALE = undefined; // the browser's language, for day and month names
const formatters = new Map();

function formatter(timeZone, options, locale = LOCALE) {
  const key = `${locale}|${timeZone}|${JSON.stringify(options)}`;
  if (!formatters.has(key)) formatters.set(key, new Intl.DateTimeFormat(locale, { ...options, timeZone }));
  return formatters.get(key);
}

const asDate = (value) => (value instanceof Date ? value : new Date(value));

/** "2026-12-02": the calendar day at the store (en-CA formats dates as ISO). */
export function localDayKey(instant, timeZone) {
  return formatter(timeZone, { year: "numeric", month: "2-digit", day: "2-digit" }, "en-CA").format(asDate(instant));
}

/** Today's date at the store, YYYY-MM-DD, as the staff list's `date` wants it. */
export function todayAt(timeZone, now = new Date()) {
  return localDayKey(now, timeZone);
}

/** "Wed 2 Dec" (in the browser's language) of the store-local day holding `instant`. */
export function formatDay(instant, timeZone) {
  return formatter(timeZone, { weekday: "short", day: "numeric", month: "short" }).format(asDate(instant));
}

/** "10:30", 24-hour, at the store. */
export function formatTime(instant, timeZone) {
  return formatter(timeZone, { hour: "2-digit", minute: "2-digit", hourCycle: "h23" }).format(asDate(instant));
}

/** "Wed 2 Dec, 10:30–11:00" at the store; without an end, just the start. */
export function formatSlot(start, end, timeZone) {
  if (!start) return "any time (no fitting slot)";
  const from = `${formatDay(start, timeZone)}, ${formatTime(start, timeZone)}`;
  return end ? `${from}\u2013${formatTime(end, timeZone)}` : from;
}

/** "Wed 2 Dec, 20:42" for deadlines (hold expiry, pickup window). */
export function formatMoment(instant, timeZone) {
  return `${formatDay(instant, timeZone)}, ${formatTime(instant, timeZone)}`;
}

/** "Paris" from "Europe/Paris": how a zone is named next to times. */
export function zoneCity(timeZone) {
  return (timeZone ?? "UTC").split("/").pop().replaceAll("_", " ");
}

/** Slots grouped by the store-local day they start on, days in order: [{day, label, slots}]. */
export function groupSlotsByDay(slots, timeZone) {
  const days = new Map();
  for (const slot of slots) {
    const day = localDayKey(slot.start, timeZone);
    if (!days.has(day)) days.set(day, { day, label: formatDay(slot.start, timeZone), slots: [] });
    days.get(day).slots.push(slot);
  }
  return [...days.values()].sort((a, b) => a.day.localeCompare(b.day));
}

/** "mon".."sun": the opening-hours key of the store-local weekday holding `instant`. */
export function weekdayKey(instant, timeZone) {
  return formatter(timeZone, { weekday: "short" }, "en-US").format(asDate(instant)).toLowerCase().slice(0, 3);
}

/** Today's opening hours at the store: [["10:00", "19:30"], ...], [] when closed all day. */
export function hoursToday(openingHours, timeZone, now = new Date()) {
  return openingHours?.[weekdayKey(now, timeZone)] ?? [];
}

/** "Open now · 10:00–19:30 today", "Closed now · today 10:00–19:30" or "Closed today". */
export function describeOpening(store, now = new Date()) {
  const hours = hoursToday(store.opening_hours, store.timezone, now);
  const ranges = hours.map(([open, close]) => `${open}\u2013${close}`).join(", ");
  if (store.open_now) return ranges ? `Open now \u00b7 ${ranges} today` : "Open now";
  return ranges ? `Closed now \u00b7 today ${ranges}` : "Closed today";
}
