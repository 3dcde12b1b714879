// The time left on an unconfirmed hold, ticking once a second until it lapses.

const TICK_MS = 1000;

/** Milliseconds until `expiresAt` (an ISO instant), never negative. */
export function remainingMs(expiresAt, now = Date.now()) {
  return Math.max(0, Date.parse(expiresAt) - now);
}

/** "14:05" (minutes:seconds), rounded up so "0:00" means it has lapsed. */
export function formatRemaining(ms) {
  const seconds = Math.ceil(ms / 1000);
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, "0")}`;
}

/**
 * Call `onTick(ms)` now and every second, then `onLapsed()` once at zero.
 * Returns a function that stops it (call it when the hold is confirmed or abandoned).
 */
export function startCountdown(expiresAt, { onTick, onLapsed }) {
  let timer = null;
  const tick = () => {
    const left = remainingMs(expiresAt);
    onTick(left);
    if (left > 0) return;
    clearInterval(timer);
    timer = null;
    onLapsed();
  };
  timer = setInterval(tick, TICK_MS);
  tick();
  return () => {
    if (timer !== null) clearInterval(timer);
    timer = null;
  };
}
