// Where the shopper is: the browser's geolocation, or what they typed (a postcode or "lat, lon").
// Every failure becomes a LocationError whose message tells the shopper what to do instead.

const GEOLOCATION_TIMEOUT_MS = 10_000;
const POSITION_MAX_AGE_MS = 5 * 60_000; // a position from the last few minutes is near enough for stores
const LAT_LON = /^\s*([-+]?\d{1,2}(?:\.\d+)?)\s*[,;\s]\s*([-+]?\d{1,3}(?:\.\d+)?)\s*$/;
const POSTCODE = /^[A-Za-z0-9][A-Za-z0-9 -]{1,15}$/;
const TYPE_INSTEAD = "Type your postcode (or \u201clat, lon\u201d) instead.";

export class LocationError extends Error {
  constructor(message, reason) {
    super(message);
    this.name = "LocationError";
    this.reason = reason; // "denied" | "unavailable" | "timeout" | "unsupported" | "unreadable"
  }
}

/** `{lat, lon}` from "48.87, 2.33", else `{postcode}`; throws LocationError for anything else. */
export function parseTypedLocation(text) {
  const typed = (text ?? "").trim();
  if (!typed) throw new LocationError(`Enter a postcode, or \u201clat, lon\u201d such as 48.87, 2.33.`, "unreadable");
  const match = LAT_LON.exec(typed);
  if (match) {
    const lat = Number(match[1]);
    const lon = Number(match[2]);
    if (Math.abs(lat) > 90 || Math.abs(lon) > 180) {
      throw new LocationError("Latitude must be within \u00b190 and longitude within \u00b1180.", "unreadable");
    }
    return { lat, lon };
  }
  if (!POSTCODE.test(typed)) throw new LocationError(`\u201c${typed}\u201d is neither a postcode nor \u201clat, lon\u201d.`, "unreadable");
  return { postcode: typed.toUpperCase() };
}

/** The device's position as `{lat, lon}`; rejects with a LocationError explaining the refusal. */
export function currentPosition(geolocation = navigator.geolocation) {
  if (!geolocation) {
    const why = window.isSecureContext ? "This browser cannot share your location." : "Location needs a secure (https) page.";
    return Promise.reject(new LocationError(`${why} ${TYPE_INSTEAD}`, "unsupported"));
  }
  return new Promise((resolve, reject) => {
    geolocation.getCurrentPosition(
      (position) => resolve({ lat: position.coords.latitude, lon: position.coords.longitude }),
      (error) => reject(explainGeolocationError(error)),
      { enableHighAccuracy: false, timeout: GEOLOCATION_TIMEOUT_MS, maximumAge: POSITION_MAX_AGE_MS },
    );
  });
}

function explainGeolocationError(error) {
  // GeolocationPositionError codes: 1 permission denied, 2 position unavailable, 3 timeout.
  if (error?.code === 1) {
    return new LocationError(`Location access was refused. ${TYPE_INSTEAD} You can allow it in the browser's site settings.`, "denied");
  }
  if (error?.code === 3) return new LocationError(`Finding your location took too long. ${TYPE_INSTEAD}`, "timeout");
  return new LocationError(`Your location is not available right now. ${TYPE_INSTEAD}`, "unavailable");
}
