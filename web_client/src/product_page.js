// The product page (/products/{id}): the interactive 3D view, variant switching, the real size in
// mm, the price, and "Try it on", which opens the live page wearing the variant shown.

import { el } from "./element.js";
import { requestJson } from "./json_http.js";
import { modelUrl } from "./api.js";
import { ProductViewer, WebGLUnavailable } from "./product_viewer.js";

const page = {
  name: document.getElementById("name"),
  message: document.getElementById("message"),
  canvas: document.getElementById("viewer"),
  description: document.getElementById("description"),
  price: document.getElementById("price"),
  variants: document.getElementById("variants"),
  dimensions: document.getElementById("dimensions"),
  tryOn: document.getElementById("try-on"),
  notWearable: document.getElementById("not-wearable"),
};
const state = { product: null, variant: null, viewer: null, loading: null };
window.productPage = state; // read by the browser tests

function productIdFromPath(loc = location) {
  const match = loc.pathname.match(/^\/products\/([^/]+)/);
  return match ? decodeURIComponent(match[1]) : new URLSearchParams(loc.search).get("id");
}

function say(text, isError = false) {
  page.message.textContent = text;
  page.message.classList.toggle("error", isError);
  page.message.hidden = !text;
}

function showDimensions(mm) {
  page.dimensions.replaceChildren();
  if (!mm) return;
  const [width, height, depth] = mm;
  for (const [label, value] of [["Width", width], ["Height", height], ["Depth", depth]]) {
    page.dimensions.append(el("dt", {}, label), el("dd", { dataset: { dimension: label.toLowerCase() } },
      `${Math.round(value)} mm`));
  }
}

function showVariant(variant) {
  state.variant = variant;
  for (const button of page.variants.querySelectorAll("button")) {
    button.setAttribute("aria-pressed", String(button.dataset.variant === variant?.name));
  }
  page.price.textContent = variant?.price ? `${variant.price} ${variant.currency}` : "";
  const params = new URLSearchParams({ product: state.product.id });
  if (variant) params.set("variant", variant.name);
  page.tryOn.href = `/?${params}`;
}

async function chooseVariant(variant) {
  showVariant(variant);
  if (!state.viewer) return;
  const url = modelUrl(state.product.id, variant?.name, state.product);
  say("Loading the 3D model\u2026");
  state.loading = url;
  try {
    await state.viewer.show(url);
    if (state.loading === url) say("");
  } catch (error) {
    say(`The 3D model could not be shown: ${error.message}`, true);
  }
}

async function start() {
  const id = productIdFromPath();
  if (!id) { say("No product named in the address.", true); return; }
  try {
    state.product = await requestJson(`/api/products/${encodeURIComponent(id)}`);
  } catch (error) {
    say(error.status === 404 ? `There is no product "${id}".` : `The product could not be loaded: ${error.message}`, true);
    return;
  }
  const product = state.product;
  document.title = product.name;
  page.name.textContent = product.name;
  page.description.textContent = product.description || "";
  showDimensions(product.dimensions_mm);
  page.variants.hidden = product.variants.length < 2;
  for (const variant of product.variants) {
    page.variants.append(el("button", { type: "button", dataset: { variant: variant.name, testid: `variant-${variant.name}` },
      onclick: () => chooseVariant(variant) }, variant.colour || variant.name));
  }
  page.tryOn.hidden = !product.wearable;
  page.notWearable.hidden = product.wearable;
  try {
    state.viewer = new ProductViewer(page.canvas);
  } catch (error) {
    if (!(error instanceof WebGLUnavailable)) throw error;
    page.canvas.replaceWith(el("img", { src: `/products/${encodeURIComponent(id)}/render?size=640`, alt: product.name,
      "data-testid": "viewer-fallback" }));
    say(`${error.message}; showing a picture instead.`);
  }
  await chooseVariant(product.variants.find((v) => v.name === product.default_variant) ?? product.variants[0] ?? null);
}

start();
