// A store's live changes for the staff page: Server-Sent Events (/api/events) while they work,
// polling every 20 s whenever they do not (endpoint missing, key refused, connection lost).

export const RESERVATION_TOPICS = [
  "reservation.created", "reservation.confirmed", "reservation.checked_in", "reservation.fulfilled",
  "reservation.cancelled", "reservation.expired", "reservation.no_show",
];
export const POLL_INTERVAL_MS = 20_000;

export class LiveUpdates {
  /**
   * `onChange(topic, payload)`: a reservation event arrived, or (topic null) a poll is due.
   * `onStatus({live, text})`: how fresh the page is, for the "live" indicator. Without a `url`
   * it only polls.
   */
  constructor({ url, storeId, onChange, onStatus, pollIntervalMs = POLL_INTERVAL_MS }) {
    Object.assign(this, { url, storeId: Number(storeId), onChange, onStatus, pollIntervalMs });
    this.source = null;
    this.pollTimer = null;
  }

  start() {
    if (!this.url) return this.poll("Live updates need a staff key");
    if (typeof EventSource !== "function") return this.poll("This browser has no live updates");
    const source = new EventSource(this.url);
    this.source = source;
    source.addEventListener("open", () => {
      this.stopPolling();
      this.onStatus({ live: true, text: "Live" });
    });
    for (const topic of RESERVATION_TOPICS) source.addEventListener(topic, (event) => this.received(topic, event.data));
    // events older than the server keeps could not be replayed after a reconnect: reload the list
    source.addEventListener("replay.incomplete", () => this.onChange(null, null));
    // A server that sends unnamed events carries the topic in the payload.
    source.addEventListener("message", (event) => {
      const payload = parse(event.data);
      if (String(payload?.topic ?? "").startsWith("reservation.")) this.received(payload.topic, event.data);
    });
    source.addEventListener("error", () => {
      if (this.source !== source) return;
      // CLOSED: the server refused the stream (404 while /api/events is not deployed, 401, 403);
      // CONNECTING: the browser retries by itself. Either way, poll until events flow again.
      const refused = source.readyState === EventSource.CLOSED;
      if (refused) {
        source.close();
        this.source = null;
      }
      this.poll(refused ? "Live updates unavailable" : "Live updates reconnecting");
    });
  }

  stop() {
    this.source?.close();
    this.source = null;
    this.stopPolling();
  }

  received(topic, data) {
    const payload = parse(data);
    if (payload?.store_id !== undefined && Number(payload.store_id) !== this.storeId) return;
    this.onChange(topic, payload);
  }

  poll(reason) {
    this.onStatus({ live: false, text: `${reason}: refreshing every ${Math.round(this.pollIntervalMs / 1000)} s` });
    if (this.pollTimer !== null) return;
    this.pollTimer = setInterval(() => this.onChange(null, null), this.pollIntervalMs);
  }

  stopPolling() {
    if (this.pollTimer !== null) clearInterval(this.pollTimer);
    this.pollTimer = null;
  }
}

function parse(data) {
  try {
    return JSON.parse(data);
  } catch {
    return null;
  }
}
