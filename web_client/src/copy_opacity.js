// A product copy drawn at the opacity the server sends per face (`opacity`: fading in when a
// face is accepted, out when it is lost; docs/protocol.md). Each copy owns its materials (their
// textures stay shared), so two faces fade independently, and each material remembers its own
// opacity and transparency, so opacity 1 draws exactly the model as loaded.

/** Give a freshly cloned copy its own materials; returns the copy. */
export function ownMaterials(copy) {
  copy.traverse((node) => {
    if (!node.isMesh) return;
    const own = (material) => {
      const clone = material.clone();
      clone.userData.base = { opacity: material.opacity, transparent: material.transparent };
      return clone;
    };
    node.material = Array.isArray(node.material) ? node.material.map(own) : own(node.material);
  });
  copy.userData.opacity = 1;
  return copy;
}

/** Draw a copy (made by ownMaterials) at `opacity` 0..1 of its own look. */
export function setCopyOpacity(copy, opacity) {
  const value = Math.max(0, Math.min(1, Number.isFinite(opacity) ? opacity : 1));
  if (copy.userData.opacity === value) return;
  copy.userData.opacity = value;
  copy.traverse((node) => {
    if (!node.isMesh) return;
    for (const material of Array.isArray(node.material) ? node.material : [node.material]) {
      const base = material.userData.base;
      const transparent = base.transparent || value < 1;
      if (material.transparent !== transparent) {
        material.transparent = transparent; // moves it to the blended pass
        material.needsUpdate = true;
      }
      material.opacity = base.opacity * value;
    }
  });
}
