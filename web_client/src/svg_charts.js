// Two hand-made SVG charts for the analytics page (no chart library to pin and serve): the funnel
// as horizontal bars, and per-day counts as grouped vertical bars. Drawn at the container's pixel
// width, so text stays readable on a phone; the page redraws them when that width changes.

import { formatPercent } from "./funnel_math.js";

const SVG = "http://www.w3.org/2000/svg";
export const SERIES_COLOURS = ["#0a66c2", "#7a5af8", "#1e7b34", "#d97706"];

function svg(tag, attributes = {}, ...children) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
  node.append(...children);
  return node;
}

function chartRoot(width, height, title, description) {
  const id = `chart-${Math.random().toString(36).slice(2, 8)}`;
  return svg("svg", { class: "chart", viewBox: `0 0 ${width} ${height}`, width, height, role: "img",
                      "aria-labelledby": `${id}-title ${id}-desc` },
  svg("title", { id: `${id}-title` }, title), svg("desc", { id: `${id}-desc` }, description));
}

/**
 * The funnel: one bar per step, scaled to the largest step, with the count and the conversion from
 * the step before. `steps`: funnelSteps(totals). Below 480 px the labels go above the bars.
 */
export function funnelChart(steps, width = 640) {
  const stacked = width < 480;
  const rowHeight = stacked ? 42 : 30;
  const labelWidth = stacked ? 0 : 140;
  const valueWidth = 92;
  const barSpace = Math.max(40, width - labelWidth - valueWidth);
  const height = steps.length * rowHeight + 8;
  const largest = Math.max(1, ...steps.map((step) => step.value));
  const description = steps.map((step) => `${step.label}: ${step.value}`).join(", ");
  const root = chartRoot(width, height, "Funnel totals", description);
  steps.forEach((step, index) => {
    const y = 4 + index * rowHeight;
    const barTop = stacked ? y + 18 : y + 4;
    const barHeight = stacked ? 18 : rowHeight - 10;
    const textY = barTop + barHeight / 2 + 4;
    const barWidth = step.value > 0 ? Math.max(2, (barSpace * step.value) / largest) : 0;
    const share = step.ofPrevious === null ? "" : ` \u00b7 ${formatPercent(step.ofPrevious)}`;
    root.append(svg("g", { "data-step": step.field, "data-value": step.value },
      svg("text", { x: 0, y: stacked ? y + 12 : textY }, step.label),
      svg("rect", { x: labelWidth, y: barTop, width: barWidth, height: barHeight, rx: 3,
                    fill: SERIES_COLOURS[index >= 5 ? 2 : 0], "fill-opacity": 1 - index * 0.09 }),
      svg("text", { x: labelWidth + barWidth + 6, y: textY, class: "value" }, `${step.value}`,
        svg("tspan", { class: "muted" }, share))));
  });
  return root;
}

/** The axis top: the first of 1, 2, 4, 5, 10, 20, 40, 50... at or above `value`, so half of it is a whole number. */
export function niceCeiling(value) {
  for (let scale = 1; ; scale *= 10) {
    for (const step of [1, 2, 4, 5]) if (step * scale >= value) return step * scale;
  }
}

/**
 * Per-day grouped bars. `days`: [{day: "YYYY-MM-DD", ...counts}]; `series`: [{field, label}] drawn
 * in SERIES_COLOURS order, on a y axis of 0, half and niceCeiling(the largest count).
 */
export function dailyChart(days, series, width = 640) {
  const height = 220;
  const left = 36;
  const bottom = 26;
  const top = 10;
  const plotWidth = Math.max(60, width - left - 6);
  const plotHeight = height - top - bottom;
  const largest = niceCeiling(Math.max(1, ...days.flatMap((day) => series.map((item) => day[item.field] ?? 0))));
  const description = days.map((day) => `${day.day}: ${series.map((item) => `${item.label} ${day[item.field] ?? 0}`).join(", ")}`).join("; ");
  const root = chartRoot(width, height, "Per day", description);
  const yOf = (value) => top + plotHeight - (plotHeight * value) / largest;
  for (const tick of largest > 1 ? [0, largest / 2, largest] : [0, largest]) {
    root.append(svg("line", { x1: left, x2: left + plotWidth, y1: yOf(tick), y2: yOf(tick), stroke: "#e3e3e8" }),
      svg("text", { x: left - 6, y: yOf(tick) + 4, "text-anchor": "end", class: "muted" }, String(tick)));
  }
  const slot = plotWidth / Math.max(1, days.length);
  const barWidth = Math.max(1, (slot * 0.8) / series.length);
  const labelEvery = Math.max(1, Math.ceil(days.length / Math.floor(plotWidth / 46))); // ~46 px per "12-03"
  days.forEach((day, index) => {
    const x0 = left + index * slot + slot * 0.1;
    const group = svg("g", { "data-day": day.day });
    series.forEach((item, s) => {
      const value = day[item.field] ?? 0;
      group.append(svg("rect", { x: x0 + s * barWidth, y: yOf(value), width: Math.max(1, barWidth - 1), height: top + plotHeight - yOf(value),
                                 fill: SERIES_COLOURS[s % SERIES_COLOURS.length] },
      svg("title", {}, `${day.day} ${item.label}: ${value}`)));
    });
    if (index % labelEvery === 0) {
      group.append(svg("text", { x: left + index * slot + slot / 2, y: height - 8, "text-anchor": "middle", class: "muted" }, day.day.slice(5)));
    }
    root.append(group);
  });
  return root;
}
