// The shop's SVG images, drawn in code so the demo ships no binary files: the logo, the favicon, and one
// picture per product (a shoe, bag or jacket silhouette in the product's colour).

import { BRAND } from './catalog.mjs';
import { esc } from './format.mjs';

export const LOGO_SVG = `<svg xmlns="http://www.w3.org/2000/svg" width="168" height="36" viewBox="0 0 168 36" role="img" aria-label="${BRAND}">
  <title>${BRAND}</title>
  <circle cx="18" cy="18" r="17" fill="#2f5d46"/>
  <path d="M4 25 Q11 15 18 21 T32 20 L32 28 Q26 34 18 34 Q9 34 4 25 Z" fill="#d98c2b"/>
  <path d="M18 7 Q25 11 22 19 Q18 22 15 18 Q13 12 18 7 Z" fill="#e9efe6"/>
  <text x="44" y="25" font-family="Georgia, 'Times New Roman', serif" font-size="22" font-weight="700" fill="#1d2520" letter-spacing="-0.3">${BRAND}</text>
</svg>
`;

export const FAVICON_SVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 36 36"><circle cx="18" cy="18" r="17" fill="#2f5d46"/><path d="M4 25 Q11 15 18 21 T32 20 L32 28 Q26 34 18 34 Q9 34 4 25 Z" fill="#d98c2b"/></svg>
`;

const SHAPES = {
  shoes: (c) => `
  <ellipse cx="200" cy="236" rx="150" ry="12" fill="rgba(0,0,0,.08)"/>
  <path d="M62 206 Q58 160 104 150 L176 134 Q200 126 210 96 L254 100 Q262 136 300 152 L334 166 Q356 178 352 206 Z" fill="${c}"/>
  <path d="M210 96 L254 100 Q258 120 268 132 L222 130 Q214 118 210 96 Z" fill="rgba(0,0,0,.12)"/>
  <path d="M150 142 L170 166 M172 136 L192 160 M194 126 L212 150" stroke="rgba(255,255,255,.75)" stroke-width="5" stroke-linecap="round"/>
  <rect x="56" y="204" width="300" height="22" rx="11" fill="#f4f1ea" stroke="rgba(0,0,0,.15)" stroke-width="2"/>`,
  bags: (c) => `
  <ellipse cx="200" cy="262" rx="120" ry="10" fill="rgba(0,0,0,.08)"/>
  <path d="M148 120 Q148 62 200 62 Q252 62 252 120" fill="none" stroke="${c}" stroke-width="14" stroke-linecap="round"/>
  <rect x="104" y="112" width="192" height="146" rx="20" fill="${c}"/>
  <rect x="104" y="150" width="192" height="10" fill="rgba(0,0,0,.14)"/>
  <rect x="184" y="146" width="32" height="22" rx="4" fill="#e8d9b5" stroke="rgba(0,0,0,.2)" stroke-width="2"/>
  <rect x="126" y="186" width="148" height="54" rx="10" fill="rgba(255,255,255,.12)"/>`,
  jackets: (c) => `
  <ellipse cx="200" cy="268" rx="110" ry="9" fill="rgba(0,0,0,.08)"/>
  <path d="M168 48 L232 48 L254 64 L302 82 L336 214 L304 222 L288 150 L288 258 L112 258 L112 150 L96 222 L64 214 L98 82 L146 64 Z" fill="${c}"/>
  <path d="M200 70 L200 258" stroke="rgba(0,0,0,.28)" stroke-width="3"/>
  <path d="M168 48 L200 96 L232 48" fill="rgba(0,0,0,.12)" stroke="rgba(0,0,0,.25)" stroke-width="3"/>
  <rect x="130" y="180" width="44" height="30" rx="4" fill="rgba(0,0,0,.12)"/>
  <rect x="226" y="180" width="44" height="30" rx="4" fill="rgba(0,0,0,.12)"/>`,
};

export function productSvg(p) {
  const tint = p.category === 'shoes' ? '#f3e9e2' : p.category === 'bags' ? '#e9ece4' : '#e4ebee';
  return `<svg xmlns="http://www.w3.org/2000/svg" width="400" height="300" viewBox="0 0 400 300" role="img" aria-label="${esc(p.name)}">
  <title>${esc(p.name)}</title>
  <rect width="400" height="300" fill="${tint}"/>
  <circle cx="320" cy="60" r="90" fill="rgba(255,255,255,.45)"/>${SHAPES[p.category](p.color)}
</svg>
`;
}
