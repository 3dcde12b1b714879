// The page's controls and read-outs: DOM in, plain values out. No networking here.

const byId = (id) => document.getElementById(id);

export class ShopperPage {
  constructor() {
    this.stage = byId("stage");
    this.liveLayer = byId("live-layer");
    this.video = byId("source-video");
    this.poseCanvas = byId("pose-canvas");
    this.compositeCanvas = byId("composite-canvas");
    this.placeholder = byId("placeholder");
    this.startCameraButton = byId("start-camera");
    this.sampleVideoButton = byId("use-sample-video");
    this.message = byId("message");
    this.connection = byId("connection-status");
    this.productSelect = byId("product-select");
    this.variantSelect = byId("variant-select");
    this.description = byId("product-description");
    this.modeInputs = [...document.querySelectorAll('input[name="mode"]')];
    this.mirrorInput = byId("mirror");
    this.snapshotButton = byId("snapshot");
    this.reserveButton = byId("reserve-open");
    this.readout = {
      fps: byId("readout-fps"),
      latency: byId("readout-latency"),
      pd: byId("readout-pd"),
      faceWidth: byId("readout-face-width"),
    };
    this.products = [];
  }

  // --- catalog ---------------------------------------------------------------------------------

  fillProducts(products) {
    // Only what can be worn: furniture or shoes have a product page (3D view) but no face to sit on.
    this.products = products.filter((product) => product.wearable !== false);
    products = this.products;
    for (const product of products) {
      const option = new Option(product.name ?? product.id, product.id);
      option.dataset.category = product.category ?? "";
      this.productSelect.append(option);
    }
  }

  productById(id) {
    return this.products.find((product) => product.id === id) ?? null;
  }

  /** The picked {product, variant} (ids or null), as the configure message wants them. */
  selection() {
    const product = this.productSelect.value || null;
    const variant = product ? this.variantSelect.value || null : null;
    return { product, variant };
  }

  /** Refill the colour picker for the picked product (its default colour selected). */
  showVariantsOfSelection() {
    const product = this.productById(this.productSelect.value);
    this.variantSelect.replaceChildren();
    this.description.textContent = product?.description ?? "";
    const variants = product?.variants ?? [];
    for (const variant of variants) {
      const name = typeof variant === "string" ? variant : variant.name;
      this.variantSelect.append(new Option(name, name, false, name === product.default_variant));
    }
    this.variantSelect.disabled = variants.length === 0;
  }

  /** What is being worn, for the reserve panel: names, and the variant's SKU when the catalog has one. */
  wornItem() {
    const { product, variant } = this.selection();
    const entry = this.productById(product);
    if (!entry || !variant) return null;
    const found = (entry.variants ?? []).find((item) => typeof item === "object" && item.name === variant);
    return { productId: product, productName: entry.name ?? product, variant, sku: found?.sku ?? null, catalogEntry: entry };
  }

  /** "Reserve for fitting" needs a variant with a SKU: that is what stores stock. */
  updateReserveButton() {
    const item = this.wornItem();
    this.reserveButton.disabled = !item?.sku;
    this.reserveButton.title = item?.sku ? `Reserve ${item.productName} in ${item.variant} at a store near you`
      : "Pick a product first";
  }

  // --- mode and view ---------------------------------------------------------------------------

  mode() {
    return this.modeInputs.find((input) => input.checked)?.value ?? "composite";
  }

  mirrored() {
    return this.mirrorInput.checked;
  }

  /**
   * Which layer is visible: the live video (mirrored by CSS when asked) with the 3D canvas in
   * pose mode; the server's picture (mirrored by the server) in composite mode once one arrived.
   */
  layoutView({ mode, mirrored, hasSource, hasComposite }) {
    this.placeholder.hidden = hasSource;
    this.liveLayer.classList.toggle("mirrored", mirrored);
    this.poseCanvas.hidden = mode !== "pose";
    this.compositeCanvas.hidden = mode !== "composite" || !hasComposite;
    this.snapshotButton.disabled = !hasSource || (mode === "composite" && !hasComposite);
  }

  /** Keep the stage at the video's aspect, so the 3D canvas lines up with the picture. */
  fitStageToVideo() {
    const { videoWidth, videoHeight } = this.video;
    if (videoWidth && videoHeight) this.stage.style.aspectRatio = `${videoWidth} / ${videoHeight}`;
  }

  // --- messages and read-outs ------------------------------------------------------------------

  showMessage(text, kind = "info") {
    this.message.textContent = text;
    this.message.dataset.kind = kind;
    this.message.hidden = !text;
  }

  clearMessage() {
    this.showMessage("");
  }

  showConnection(text, connected) {
    this.connection.textContent = text;
    this.connection.classList.toggle("connected", connected);
  }

  showReadout({ fps, latencyMs, face }) {
    this.readout.fps.textContent = `${fps} /s`;
    this.readout.latency.textContent = latencyMs === null ? "–" : `${Math.round(latencyMs)} ms`;
    const measurements = face?.measurements;
    // The server says why it is unsure of a face (docs/protocol.md, `notes`): never show those
    // numbers as if they were sure.
    const notes = face?.notes ?? [];
    const unsure = notes.length > 0 ? " (unsure)" : "";
    this.readout.pd.textContent = measurements?.pd_mm ? `${measurements.pd_mm.toFixed(1)} mm${unsure}` : "no face";
    this.readout.pd.title = notes.join("; ");
    this.readout.faceWidth.textContent = measurements?.face_width_mm
      ? `${measurements.face_width_mm.toFixed(1)} mm`
      : "–";
  }

  setSourceButtonsBusy(busy) {
    this.startCameraButton.disabled = busy;
    this.sampleVideoButton.disabled = busy;
  }
}
