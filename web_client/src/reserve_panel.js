// "Reserve for fitting" on the try-on page: where the shopper is -> nearby stores with the worn
// variant -> a fitting slot in the store's time -> contact -> a hold with its countdown -> confirmed,
// with the QR code to show at the store. One Idempotency-Key per attempt, reused on retries.

import {
  confirmReservation, createReservation, fetchReservation, fetchSlots, findStores, newIdempotencyKey, SLOT_DAYS,
} from "./commerce_api.js";
import { el } from "./element.js";
import { formatRemaining, startCountdown } from "./hold_countdown.js";
import { ApiError, NetworkError } from "./json_http.js";
import { reservationCard } from "./reservation_card.js";
import { currentPosition, LocationError, parseTypedLocation } from "./shopper_location.js";
import { checkRadio, renderDays, renderStoreOptions, renderTimes } from "./store_picker.js";
import { formatMoment, zoneCity } from "./store_time.js";

const byId = (id) => document.getElementById(id);

export class ReservePanel {
  /**
   * `currentItem()` -> {productId, productName, variant, sku, catalogEntry} being worn (or null);
   * `sessionId()` -> the try-on session's id or null; `onChange(reservation)` reports each step.
   */
  constructor({ currentItem, sessionId, onChange = () => {} }) {
    this.currentItem = currentItem;
    this.sessionId = sessionId;
    this.onChange = onChange;
    this.dialog = byId("reserve-dialog");
    this.productLine = byId("reserve-product");
    this.message = byId("reserve-message");
    this.whereForm = byId("reserve-where-form");
    this.whereInput = byId("reserve-where");
    this.locateButton = byId("reserve-locate");
    this.storeStep = byId("reserve-step-store");
    this.storeList = byId("reserve-stores");
    this.slotStep = byId("reserve-step-slot");
    this.slotZone = byId("reserve-slot-zone");
    this.dayGroup = byId("reserve-days");
    this.timeGroup = byId("reserve-times");
    this.contactForm = byId("reserve-contact-form");
    this.submitButton = byId("reserve-submit");
    this.choiceSteps = [byId("reserve-step-where"), this.storeStep, this.slotStep, this.contactForm];
    this.holdStep = byId("reserve-step-hold");
    this.holdSummary = byId("reserve-hold-summary");
    this.countdown = byId("reserve-countdown");
    this.confirmButton = byId("reserve-confirm");
    this.doneStep = byId("reserve-step-done");
    this.reset(null);

    byId("reserve-close").addEventListener("click", () => this.dialog.close());
    byId("reserve-restart").addEventListener("click", () => this.reset(this.currentItem()));
    this.whereForm.addEventListener("submit", (event) => {
      event.preventDefault();
      this.searchTyped();
    });
    this.locateButton.addEventListener("click", () => this.searchHere());
    this.contactForm.addEventListener("submit", (event) => {
      event.preventDefault();
      this.reserve();
    });
    // A changed contact is a new attempt: a replayed key must not stand for different details.
    this.contactForm.addEventListener("input", () => { this.attemptKey = null; });
    this.confirmButton.addEventListener("click", () => this.confirm());
  }

  /** Open for the variant being worn; a pending hold for that same variant is shown again. */
  open() {
    const item = this.currentItem();
    if (!item?.sku) return;
    if (this.item?.sku !== item.sku || (!this.hold && !this.confirmed)) this.reset(item);
    this.dialog.showModal();
    (this.hold ? this.confirmButton : this.whereInput).focus();
  }

  reset(item) {
    this.stopCountdown?.();
    this.stopCountdown = null;
    Object.assign(this, { item, where: null, stores: [], store: null, slots: [], slotsZone: "UTC", slotStart: null,
                          attemptKey: null, hold: null, confirmed: null, busy: false });
    this.productLine.textContent = item ? `${item.productName}, ${item.variant}` : "";
    this.clearMessage();
    this.choiceSteps.forEach((step, index) => { step.hidden = index > 0; });
    this.holdStep.hidden = true;
    this.doneStep.hidden = true;
    byId("reserve-restart").hidden = true;
    this.storeList.replaceChildren();
  }

  // --- where -> stores ---------------------------------------------------------------------------

  searchTyped() {
    try {
      this.search(parseTypedLocation(this.whereInput.value));
    } catch (error) {
      this.showError(error);
    }
  }

  async searchHere() {
    this.showMessage("Finding your location\u2026");
    this.locateButton.disabled = true;
    try {
      const position = await currentPosition();
      this.whereInput.value = `${position.lat.toFixed(4)}, ${position.lon.toFixed(4)}`;
      await this.search(position);
    } catch (error) {
      this.showError(error);
    } finally {
      this.locateButton.disabled = false;
    }
  }

  async search(where, notice = "") {
    this.where = where;
    this.store = null;
    this.slotStep.hidden = true;
    this.contactForm.hidden = true;
    this.showMessage(notice || "Looking for stores with it in stock\u2026", notice ? "error" : "info");
    try {
      const found = await findStores(this.item.sku, where);
      this.stores = found.stores ?? [];
      renderStoreOptions(this.storeList, this.stores, { variant: this.item.variant, onChoose: (store) => this.chooseStore(store) });
      this.storeStep.hidden = false;
      if (!this.stores.length) {
        this.showMessage(`No store within ${found.radius_km} km has ${this.item.productName} in ${this.item.variant} right now. `
          + "Try another colour, or a place nearer a city.", "error");
      } else if (!notice) this.clearMessage();
    } catch (error) {
      this.storeStep.hidden = true;
      this.showError(error);
    }
  }

  // --- store -> slots ----------------------------------------------------------------------------

  async chooseStore(store) {
    this.store = store;
    this.slotStart = null;
    this.attemptKey = null;
    this.contactForm.hidden = true;
    this.showMessage(`Loading fitting times at ${store.name}\u2026`);
    await this.loadSlots();
  }

  async loadSlots(notice = "") {
    const store = this.store;
    try {
      const reply = await fetchSlots(store.store_id, SLOT_DAYS);
      if (this.store !== store) return; // the shopper picked another store meanwhile
      this.slots = reply.slots ?? [];
      this.slotsZone = reply.timezone ?? store.timezone;
      this.showSlots();
      if (notice) this.showMessage(notice, "error");
      else this.clearMessage();
    } catch (error) {
      this.showError(error);
    }
  }

  showSlots() {
    const zone = this.slotsZone;
    const days = renderDays(this.dayGroup, this.slots, zone, { onDay: (day) => this.chooseDay(day) });
    this.slotStep.hidden = false;
    this.timeGroup.replaceChildren();
    if (!days.length) {
      // No fitting places in the coming days: the item can still be held for pickup.
      this.slotZone.textContent = `${this.store.name} has no free fitting time in the next ${SLOT_DAYS} days: `
        + "reserve it to pick up instead.";
      this.dayGroup.hidden = true;
      this.timeGroup.hidden = true;
      this.showContact();
      return;
    }
    this.slotZone.textContent = `Times are at the store, ${zoneCity(zone)} time.`;
    this.dayGroup.hidden = false;
    this.timeGroup.hidden = false;
    const keep = days.find((day) => day.slots.some((slot) => slot.start === this.slotStart)) ?? days[0];
    checkRadio(this.dayGroup, keep.day);
    this.chooseDay(keep);
  }

  chooseDay(day) {
    renderTimes(this.timeGroup, day, this.slotsZone, { onSlot: (slot) => this.chooseSlot(slot) });
    if (this.slotStart) checkRadio(this.timeGroup, this.slotStart);
  }

  chooseSlot(slot) {
    this.slotStart = slot.start;
    this.attemptKey = null;
    this.showContact();
  }

  showContact() {
    this.contactForm.hidden = false;
    this.submitButton.textContent = this.slotStart ? "Reserve" : "Reserve to pick up";
  }

  // --- reserve -> hold -> confirm ----------------------------------------------------------------

  contact() {
    const data = new FormData(this.contactForm);
    const value = (name) => String(data.get(name) ?? "").trim() || undefined;
    return { name: value("name"), email: value("email"), phone: value("phone") };
  }

  async reserve() {
    if (this.busy) return;
    const contact = this.contact();
    if (!contact.name) return this.showMessage("Please give your name, so the store knows who is coming.", "error");
    if (!contact.email && !contact.phone) return this.showMessage("Please give an email or a phone number.", "error");
    if (!this.contactForm.reportValidity()) return;
    const store = this.store;
    // One key per attempt: a retry after a network failure replays the same hold, never a second one.
    this.attemptKey ??= newIdempotencyKey();
    const request = { sku: this.item.sku, store_id: store.store_id, quantity: 1, contact,
                      slot_start: this.slotStart ?? undefined, tryon_session_id: this.sessionId() ?? undefined };
    this.setBusy(true, "Holding it for you\u2026");
    try {
      const hold = await createReservation(request, this.attemptKey);
      this.attemptKey = null;
      this.showHold(hold);
    } catch (error) {
      if (!(error instanceof NetworkError) && !(error instanceof ApiError && error.status >= 500)) this.attemptKey = null;
      await this.explainRefusal(error, store);
    } finally {
      this.setBusy(false);
    }
  }

  /** 409s mean the world moved on: redraw what changed so the shopper can pick again. */
  async explainRefusal(error, store) {
    if (error instanceof ApiError && error.kind === "InsufficientStock") {
      await this.search(this.where, `Someone has just taken the last one at ${store.name}. The list is up to date again: `
        + "choose another store.");
    } else if (error instanceof ApiError && error.kind === "SlotFull") {
      this.slotStart = null;
      await this.loadSlots("That fitting time has just filled up. The times are up to date again: choose another.");
    } else if (error instanceof NetworkError) {
      this.showMessage("The server could not be reached, so we do not know whether it was held. Check your connection "
        + "and press Reserve again: it will not be reserved twice.", "error");
    } else {
      this.showError(error);
    }
  }

  showHold(hold) {
    this.hold = hold;
    this.onChange(hold);
    this.choiceSteps.forEach((step) => { step.hidden = true; });
    this.holdStep.hidden = false;
    const zone = hold.store?.timezone ?? this.slotsZone;
    this.holdSummary.replaceChildren(reservationCard(hold, { catalogEntry: this.item.catalogEntry }));
    this.clearMessage();
    this.stopCountdown?.();
    this.stopCountdown = startCountdown(hold.expires_at, {
      onTick: (ms) => {
        this.countdown.textContent = formatRemaining(ms);
        this.countdown.setAttribute("aria-label", `${Math.ceil(ms / 60000)} minutes left, until ${formatMoment(hold.expires_at, zone)}`);
      },
      onLapsed: () => this.holdLapsed(),
    });
    this.confirmButton.disabled = false;
    this.confirmButton.focus();
  }

  holdLapsed() {
    this.hold = null;
    this.holdStep.hidden = true;
    this.choiceSteps.forEach((step) => { step.hidden = false; });
    this.showMessage("The hold lapsed before it was confirmed. Press Reserve to hold it again.", "error");
  }

  async confirm() {
    if (this.busy || !this.hold) return;
    const code = this.hold.code;
    this.setBusy(true, "Confirming\u2026");
    try {
      this.showConfirmed(await confirmReservation(code));
    } catch (error) {
      if (error instanceof ApiError && error.status === 409) {
        // Maybe our first confirm went through before the connection dropped: look before telling.
        const now = await fetchReservation(code).catch(() => null);
        if (now?.status === "confirmed") return this.showConfirmed(now);
        this.stopCountdown?.();
        this.holdLapsed();
        this.showMessage(`${error.message}. Press Reserve to hold it again.`, "error");
      } else if (error instanceof NetworkError) {
        this.showMessage("The server could not be reached. Check your connection and press Confirm again.", "error");
      } else {
        this.showError(error);
      }
    } finally {
      this.setBusy(false);
    }
  }

  showConfirmed(reservation) {
    this.stopCountdown?.();
    this.stopCountdown = null;
    this.hold = null;
    this.confirmed = reservation;
    this.onChange(reservation);
    this.holdStep.hidden = true;
    this.clearMessage();
    this.doneStep.hidden = false;
    this.doneStep.replaceChildren(
      el("h3", { tabindex: -1 }, "Reserved: see you at the store"),
      reservationCard(reservation, { catalogEntry: this.item.catalogEntry, qr: true, pageLink: true }),
      el("p", { class: "hint" }, "Show the QR code (or tell the code) at the desk. The reservation page has it too."));
    byId("reserve-restart").hidden = false;
    this.doneStep.querySelector("h3").focus();
  }

  // --- messages ----------------------------------------------------------------------------------

  setBusy(busy, text) {
    this.busy = busy;
    this.submitButton.disabled = busy;
    this.confirmButton.disabled = busy;
    if (busy && text) this.showMessage(text);
  }

  showError(error) {
    if (error instanceof LocationError) return this.showMessage(error.message, "error");
    if (error instanceof NetworkError) return this.showMessage("The server could not be reached. Check your connection and try again.", "error");
    if (error instanceof ApiError && error.status === 422) return this.showMessage(`That was not accepted: ${error.message}`, "error");
    this.showMessage(error.message || String(error), "error");
  }

  showMessage(text, kind = "info") {
    this.message.textContent = text;
    this.message.dataset.kind = kind;
    this.message.hidden = !text;
    // The message sits at the top of a panel that may be scrolled down to the Reserve button.
    if (text && kind === "error") this.message.scrollIntoView({ block: "nearest" });
  }

  clearMessage() {
    this.showMessage("");
  }
}
