// Building DOM from data without innerHTML, so names and addresses from the API are never parsed as markup.

/**
 * `el("li", {class: "store", dataset: {id: 3}, onclick}, "text", child)`: attributes, `dataset`,
 * `on*` listeners and boolean properties (hidden, disabled, checked) in one object; children are
 * nodes or strings (null and false are skipped).
 */
export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "dataset") Object.assign(node.dataset, value);
    else if (name.startsWith("on") && typeof value === "function") node.addEventListener(name.slice(2), value);
    else if (value === true) node.setAttribute(name, "");
    else node.setAttribute(name, String(value));
  }
  node.append(...children.flat().filter((child) => child !== null && child !== undefined && child !== false));
  return node;
}
