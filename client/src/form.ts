/**
 * @module form
 * How a form is named in form events: its `id`, else its `name` attribute. Read as attributes because
 * `form.id` and `form.name` return a control when the form holds one named `id` or `name`.
 */

export const formName = (f: Pick<Element, 'getAttribute'>): string | undefined =>
  (f.getAttribute('id') || f.getAttribute('name') || '').slice(0, 128) || undefined;
