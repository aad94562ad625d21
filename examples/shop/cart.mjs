// The visitor's cart and orders, kept in cookies rather than on the server: `cart` holds the items, `flash`
// the one-time notice shown on /cart, `last_order` the most recent order number. Reading, changing and
// totalling a cart all live here, so the router and the pages agree on what is in it.

import { randomInt } from 'node:crypto';
import { PRODUCTS, SIZES } from './catalog.mjs';

/** The cart cookie: `slug:size:qty` items joined by commas, URI-encoded. */
export function readCart(cookies) {
  const items = [];
  for (const entry of (cookies.cart ?? '').split(',')) {
    const [slug, size, qty] = entry.split(':');
    const product = PRODUCTS.get(slug ?? '');
    const n = Number.parseInt(qty ?? '', 10);
    if (!product || !Number.isFinite(n) || n < 1) continue;
    items.push({ product, size: size || SIZES[product.category][0], qty: Math.min(n, 99) });
  }
  return items;
}

export function cartCookie(items) {
  const value = items.map((it) => `${it.product.slug}:${it.size}:${it.qty}`).join(',');
  return value
    ? `cart=${encodeURIComponent(value)}; Path=/; Max-Age=2592000; SameSite=Lax`
    : 'cart=; Path=/; Max-Age=0; SameSite=Lax';
}

export const flashCookie = (message) =>
  `flash=${encodeURIComponent(message)}; Path=/; Max-Age=60; SameSite=Lax`;

export const cartTotals = (items) => {
  const subtotal = items.reduce((s, it) => s + it.product.price * it.qty, 0);
  const shipping = subtotal === 0 || subtotal >= 75 ? 0 : 7.5;
  return { subtotal, shipping, total: subtotal + shipping, count: items.reduce((s, it) => s + it.qty, 0) };
};

export const clearFlashCookie = 'flash=; Path=/; Max-Age=0; SameSite=Lax';

export const lastOrderCookie = (order) => `last_order=${order}; Path=/; Max-Age=2592000; SameSite=Lax`;

/**
 * Applies a POST /cart form (`action` add or remove, `slug`, `size`, `qty`) to `items`, in place. An unknown
 * size falls back to the category's first; a quantity is clamped to 1-9 per add and 99 per line.
 * @returns {string | null} the notice to flash, or null when the product does not exist
 */
export function updateCart(items, form) {
  const product = PRODUCTS.get(form.get('slug') ?? '');
  const action = form.get('action') ?? 'add';
  if (!product) return null;
  const size = SIZES[product.category].includes(form.get('size') ?? '')
    ? form.get('size')
    : SIZES[product.category][0];
  const i = items.findIndex((it) => it.product.slug === product.slug && it.size === size);
  if (action === 'remove') {
    if (i >= 0) items.splice(i, 1);
    return `Removed ${product.name} from your cart.`;
  }
  const qty = Math.max(1, Math.min(9, Number.parseInt(form.get('qty') ?? '1', 10) || 1));
  if (i >= 0) items[i].qty = Math.min(99, items[i].qty + qty);
  else items.push({ product, size, qty });
  return `Added ${product.name}${SIZES[product.category].length > 1 ? ` (${size})` : ''} to your cart.`;
}

/**
 * A demo order: a fresh `FH-nnnnn` number and the amount charged, the cart's total or, for an empty cart, the
 * `total` the checkout form posted.
 */
export function placeOrder(items, form) {
  const order = `FH-${randomInt(10000, 99999)}`;
  const total = cartTotals(items).total || Number.parseFloat(form.get('total') ?? '') || 0;
  return { order, total };
}
