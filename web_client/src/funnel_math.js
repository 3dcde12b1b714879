// The funnel's numbers as the analytics page shows them: the steps in order, conversion between
// them, and a readable name for each group. Pure functions over the /api/analytics/funnel reply.

export const FUNNEL_STEPS = [
  { field: "sessions", label: "Sessions" },
  { field: "tried", label: "Tried on" },
  { field: "reservations", label: "Reserved" },
  { field: "confirmed", label: "Confirmed" },
  { field: "checked_in", label: "Checked in" },
  { field: "fulfilled", label: "Fulfilled" },
  // Coupons are issued on their own path, so redemption is measured against issued coupons.
  { field: "coupons_redeemed", label: "Coupons redeemed", base: "coupons_issued" },
];

/** The table's conversion columns: [label, numerator field, denominator field]. */
export const CONVERSIONS = [
  ["Tried \u2192 reserved", "reservations", "tried"],
  ["Reserved \u2192 fulfilled", "fulfilled", "reservations"],
  ["Session \u2192 fulfilled", "fulfilled", "sessions"],
];

/** 100 * part / whole, or null when there is nothing to divide by. */
export function percent(part, whole) {
  return whole > 0 ? (100 * part) / whole : null;
}

/** "42%" / "4.2%" / "–": one decimal below 10 %, where small differences matter. */
export function formatPercent(value) {
  if (value === null || value === undefined || Number.isNaN(value)) return "\u2013";
  return value < 10 ? `${value.toFixed(1)}%` : `${Math.round(value)}%`;
}

/**
 * The steps with their values, the conversion from the step before (or from `base`) and from the
 * first step: [{field, label, value, ofPrevious, ofFirst}], percentages or null.
 */
export function funnelSteps(totals) {
  const count = (field) => totals?.[field] ?? 0;
  const first = count(FUNNEL_STEPS[0].field);
  return FUNNEL_STEPS.map((step, index) => {
    const value = count(step.field);
    if (index === 0) return { ...step, value, ofPrevious: null, ofFirst: null };
    const before = count(step.base ?? FUNNEL_STEPS[index - 1].field);
    return { ...step, value, ofPrevious: percent(value, before), ofFirst: percent(value, first) };
  });
}

/** A group's name: the day, the product (catalog name), product + colour, or the store. */
export function groupLabel(key, catalog = []) {
  if (!key) return "";
  if (key.day) return key.day;
  if (key.store_id !== undefined) return key.store_name ?? `Store ${key.store_id}`;
  const name = catalog.find((product) => product.id === key.product_id)?.name ?? key.product_id ?? "(no product)";
  return key.variant ? `${name}, ${key.variant}` : name;
}

/** YYYY-MM-DD `days` before/after `day` (UTC calendar days, as the funnel counts them). */
export function shiftDay(day, days) {
  const date = new Date(`${day}T00:00:00Z`);
  date.setUTCDate(date.getUTCDate() + days);
  return date.toISOString().slice(0, 10);
}
