// The retailer's funnel (/analytics): sign in with the admin key, pick a date range and a grouping,
// see the funnel totals as bars, the counts per day, and a table per group with conversion rates.

import { fetchProducts } from "./api.js";
import { fetchFunnel, fetchFunnelCsv } from "./back_office_api.js";
import { el } from "./element.js";
import { CONVERSIONS, FUNNEL_STEPS, formatPercent, funnelSteps, groupLabel, percent, shiftDay } from "./funnel_math.js";
import { ApiError, NetworkError } from "./json_http.js";
import { KeySignin } from "./key_signin.js";
import { downloadBlob } from "./snapshot.js";
import { dailyChart, funnelChart, SERIES_COLOURS } from "./svg_charts.js";

const KEY_STORAGE = "tryon.adminKey";
const DEFAULT_DAYS = 7;
const DAILY_SERIES = [
  { field: "sessions", label: "Sessions" },
  { field: "reservations", label: "Reserved" },
  { field: "fulfilled", label: "Fulfilled" },
];
const TABLE_COUNTS = [...FUNNEL_STEPS.slice(0, 6), { field: "coupons_issued", label: "Coupons issued" }, FUNNEL_STEPS[6]];

const byId = (id) => document.getElementById(id);
const ui = {
  report: byId("report"), query: byId("query"), from: byId("from"), to: byId("to"), groupBy: byId("group-by"),
  csv: byId("csv"), message: byId("message"), funnel: byId("funnel-chart"), daily: byId("daily-chart"),
  legend: byId("daily-legend"), head: byId("table-head"), body: byId("table-body"), foot: byId("table-foot"),
};

/** What the page drew, for the browser tests and for debugging from the console. */
const state = { signedIn: false, loads: 0, report: null, daily: null, lastError: null };
window.analyticsState = state;

let key = null;
let catalog = [];
let drawn = null; // {report, daily}: kept to redraw the charts at a new width

const signin = new KeySignin(KEY_STORAGE, {
  form: byId("signin"), input: byId("key"), message: byId("signin-message"), signOut: byId("sign-out"), who: byId("who"),
}, {
  accept: (me) => (me.role === "admin" ? null
    : "This page needs the admin key: a staff key opens the store desk (/staff) instead."),
});
signin.onSignedIn = (_me, signedKey) => {
  key = signedKey;
  state.signedIn = true;
  ui.report.hidden = false;
  load();
};
signin.onSignedOut = () => {
  key = null;
  state.signedIn = false;
  ui.report.hidden = true;
};

const today = new Date().toISOString().slice(0, 10); // UTC, as the funnel's days are
const params = new URLSearchParams(location.search);
ui.to.value = params.get("to") ?? today;
ui.from.value = params.get("from") ?? shiftDay(ui.to.value, -(DEFAULT_DAYS - 1));
ui.groupBy.value = params.get("group_by") ?? "day";
ui.query.addEventListener("submit", (event) => {
  event.preventDefault();
  load();
});
ui.groupBy.addEventListener("change", () => load());
ui.csv.addEventListener("click", downloadCsv);
new ResizeObserver(() => drawCharts()).observe(ui.funnel);

fetchProducts()
  .then((products) => { catalog = products; })
  .catch((error) => console.warn("tryon: catalog unavailable, showing product ids", error))
  .finally(() => signin.start());

function query() {
  return { from: ui.from.value, to: ui.to.value, groupBy: ui.groupBy.value };
}

async function load() {
  const asked = query();
  if (!asked.from || !asked.to) return say("Pick both dates.", "error");
  if (asked.from > asked.to) return say("The first day is after the last one: swap them.", "error");
  history.replaceState(null, "", `?${new URLSearchParams({ from: asked.from, to: asked.to, group_by: asked.groupBy })}`);
  say("Loading\u2026");
  try {
    const report = await fetchFunnel(key, asked);
    const daily = asked.groupBy === "day" ? report : await fetchFunnel(key, { ...asked, groupBy: "day" });
    state.loads += 1;
    state.report = report;
    state.daily = daily;
    state.lastError = null;
    drawn = { report, daily };
    drawCharts();
    drawTable(report);
    say(report.rows.length ? "" : "Nothing happened in these days.", "info");
  } catch (error) {
    state.lastError = { status: error.status ?? null, message: error.message };
    explain(error);
  }
}

function drawCharts() {
  if (!drawn) return;
  const width = Math.floor(ui.funnel.clientWidth) || 640;
  ui.funnel.replaceChildren(funnelChart(funnelSteps(drawn.report.totals), width));
  const days = drawn.daily.rows.map((row) => ({ day: row.key.day, ...row }));
  ui.daily.replaceChildren(dailyChart(days, DAILY_SERIES, width));
  ui.legend.replaceChildren(...DAILY_SERIES.map((item, index) =>
    el("li", {}, el("i", { style: `background: ${SERIES_COLOURS[index]}` }), item.label)));
}

function drawTable(report) {
  const cells = (row) => [
    ...TABLE_COUNTS.map((step) => el("td", {}, String(row[step.field] ?? 0))),
    ...CONVERSIONS.map(([, part, whole]) => el("td", {}, formatPercent(percent(row[part] ?? 0, row[whole] ?? 0)))),
  ];
  ui.head.replaceChildren(el("tr", {},
    el("th", { scope: "col" }, ui.groupBy.selectedOptions[0]?.textContent ?? "Group"),
    ...TABLE_COUNTS.map((step) => el("th", { scope: "col" }, step.label)),
    ...CONVERSIONS.map(([label]) => el("th", { scope: "col" }, label))));
  ui.body.replaceChildren(...report.rows.map((row) =>
    el("tr", { "data-testid": "group-row" }, el("th", { scope: "row" }, groupLabel(row.key, catalog)), ...cells(row))));
  ui.foot.replaceChildren(el("tr", { "data-testid": "totals-row" }, el("td", {}, "Total"), ...cells(report.totals)));
}

async function downloadCsv() {
  const asked = query();
  try {
    downloadBlob(await fetchFunnelCsv(key, asked), `funnel_${asked.groupBy}_${asked.from}_${asked.to}.csv`);
  } catch (error) {
    explain(error);
  }
}

function explain(error) {
  if (error instanceof ApiError && error.status === 404) {
    return say("Funnel analytics are not available on this server yet (GET /api/analytics/funnel answered 404).", "error");
  }
  if (error instanceof ApiError && error.status === 401) {
    signin.signOutNow();
    return signin.say("The key is no longer valid. Sign in again.");
  }
  if (error instanceof ApiError && error.status === 403) return say("This report needs the admin key.", "error");
  if (error instanceof NetworkError) return say("The server could not be reached. Check the connection and press Show again.", "error");
  say(error.message, "error");
}

function say(text, kind = "info") {
  ui.message.textContent = text;
  ui.message.dataset.kind = kind;
  ui.message.hidden = !text;
}
