// The two formatters every template shares: HTML escaping (pages and SVG alike) and prices.

export const esc = (s) =>
  String(s).replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c],
  );
export const money = (n) => `$${n.toFixed(2)}`;
