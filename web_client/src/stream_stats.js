// Results per second and round-trip latency, over a sliding window of recent results.

const WINDOW_MS = 1000;
const LATENCY_SAMPLES = 15;

export class StreamStats {
  constructor() {
    this.resultTimes = [];
    this.latencies = [];
  }

  /** Count one result that arrived at `nowMs` for a frame captured at `captureTsMs` (same clock). */
  addResult(nowMs, captureTsMs) {
    this.resultTimes.push(nowMs);
    while (this.resultTimes.length && nowMs - this.resultTimes[0] > WINDOW_MS) this.resultTimes.shift();
    if (Number.isFinite(captureTsMs)) {
      this.latencies.push(nowMs - captureTsMs);
      if (this.latencies.length > LATENCY_SAMPLES) this.latencies.shift();
    }
  }

  /** Results per second over the last second (0 when none arrived lately). */
  fps(nowMs) {
    const recent = this.resultTimes.filter((t) => nowMs - t <= WINDOW_MS);
    return recent.length;
  }

  /** Median round trip of the last few results, ms (null before the first). */
  latencyMs() {
    if (!this.latencies.length) return null;
    const sorted = [...this.latencies].sort((a, b) => a - b);
    return sorted[Math.floor(sorted.length / 2)];
  }
}
