// The catalog page (/products): every product as a card with the server's rendered thumbnail,
// its price range and a link to its product page (3D view, variants, "Try it on").

import { el } from "./element.js";
import { requestJson } from "./json_http.js";

const list = document.getElementById("catalog");
const message = document.getElementById("message");

function priceText(product) {
  const prices = product.variants.filter((v) => v.price_cents !== null && v.price_cents !== undefined);
  if (!prices.length) return "";
  const cents = prices.map((v) => v.price_cents);
  const low = prices[cents.indexOf(Math.min(...cents))];
  return Math.min(...cents) === Math.max(...cents) ? `${low.price} ${low.currency}` : `from ${low.price} ${low.currency}`;
}

function card(product) {
  const variants = product.variants.length > 1 ? `${product.variants.length} variants` : "";
  return el("li", { class: "catalog-card card", dataset: { product: product.id } },
    el("a", { href: product.page_url },
      el("img", { src: product.thumbnail_url, alt: product.name, width: 256, height: 256, loading: "lazy" }),
      el("span", { class: "catalog-name" }, product.name)),
    el("span", { class: "catalog-meta" }, [priceText(product), variants, product.wearable ? "try-on" : "3D view"]
      .filter(Boolean).join(" \u00b7 ")));
}

async function start() {
  try {
    const products = await requestJson("/api/products");
    list.replaceChildren(...products.map(card));
    message.textContent = products.length ? "" : "The catalog is empty: import a model (tryon catalog import).";
    message.hidden = products.length > 0;
  } catch (error) {
    message.textContent = `The catalog could not be loaded: ${error.message}`;
    message.classList.add("error");
  }
}

start();
