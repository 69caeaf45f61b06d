// A tiny element builder: h('button', { class: 'btn', onclick }, 'Retry'). Text is always set as
// text (never innerHTML), so nothing the agent reports can inject markup.

const SVG_NS = 'http://www.w3.org/2000/svg';
const SVG_TAGS = new Set(['svg', 'path', 'line', 'rect', 'text', 'g', 'circle', 'polyline']);

/** @typedef {import('../types/dashboard').SvgTag} SvgTag */
/** @typedef {import('../types/dashboard').Child} Child */
/** @typedef {import('../types/dashboard').Attrs} Attrs */

const PROPERTIES = new Set(['value', 'checked', 'indeterminate', 'disabled']);

/**
 * An attribute's text ('' for an object, which has none).
 * @param {import('../types/dashboard').AttrValue} v
 */
const text = (v) => (typeof v === 'object' || typeof v === 'function' ? '' : String(v));

/**
 * @param {HTMLElement | SVGElement} el
 * @param {Attrs | null | undefined} attrs
 */
function apply(el, attrs) {
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') {
      el.addEventListener(k.slice(2), v);
    } else if (k === 'class') {
      el.setAttribute('class', Array.isArray(v) ? v.filter(Boolean).join(' ') : text(v));
    } else if (k === 'dataset' && typeof v === 'object') {
      Object.assign(el.dataset, v);
    } else if (k === 'style' && typeof v === 'object') {
      for (const [p, val] of Object.entries(v)) el.style.setProperty(p, String(val));
    } else if (PROPERTIES.has(k)) {
      Reflect.set(el, k, v);
    } else {
      el.setAttribute(k, v === true ? '' : text(v));
    }
  }
}

/**
 * @param {Element} el
 * @param {readonly Child[]} children
 */
function append(el, children) {
  for (const c of children) {
    if (c === undefined || c === null || c === false) continue;
    if (typeof c === 'string' || typeof c === 'number') el.append(String(c));
    else if (c instanceof Node) el.append(c);
    else append(el, c);
  }
}

/**
 * Creates an element (SVG elements in the SVG namespace).
 * @template {string} K
 * @param {K} tag
 * @param {Attrs | null} [attrs]
 * @param {...Child} children
 * @returns {import('../types/dashboard').ElementOf<K>}
 */
export function h(tag, attrs, ...children) {
  const el = SVG_TAGS.has(tag)
    ? document.createElementNS(SVG_NS, tag)
    : document.createElement(tag);
  apply(el, attrs);
  append(el, children);
  return /** @type {import('../types/dashboard').ElementOf<K>} */ (el);
}

/**
 * Replaces an element's children.
 * @template {Element} E
 * @param {E} el
 * @param {...Child} children
 * @returns {E}
 */
export function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/** @typedef {'ok' | 'info' | 'warn' | 'bad' | 'muted'} Tone */

/**
 * A status pill.
 * @param {string} text
 * @param {Tone} [tone]
 * @param {string} [title]
 */
export function badge(text, tone = 'muted', title) {
  return h('span', { class: `badge badge-${tone}`, title }, text);
}

/**
 * A toggle with role=switch; `onToggle(next)` may return a promise (the switch waits).
 * @param {{ checked: boolean, label: string, labelOn?: string, labelOff?: string,
 *   onToggle: (next: boolean) => unknown, id?: string }} options
 * @returns {HTMLButtonElement & { setChecked(on: boolean): void }}
 */
export function switchButton({ checked, label, labelOn, labelOff, onToggle, id }) {
  const text = h('span', { class: 'switch-label' });
  const el = h(
    'button',
    { type: 'button', class: 'switch', role: 'switch', id },
    h(
      'span',
      { class: 'switch-track', 'aria-hidden': 'true' },
      h('span', { class: 'switch-thumb' }),
    ),
    text,
  );
  /** @param {boolean} on */
  const set = (on) => {
    el.setAttribute('aria-checked', on ? 'true' : 'false');
    text.textContent = on ? labelOn || label : labelOff || label;
    if (label) el.setAttribute('aria-label', label);
  };
  set(checked);
  el.addEventListener('click', () => {
    const next = el.getAttribute('aria-checked') !== 'true';
    el.disabled = true;
    void (async () => {
      try {
        await onToggle(next);
        set(next);
      } catch {
        // onToggle said what went wrong; the switch stays as it was
      } finally {
        el.disabled = false;
      }
    })();
  });
  return Object.assign(el, { setChecked: set });
}

/**
 * Calls fn at most once per `ms` (trailing).
 * @template {unknown[]} A
 * @param {(...args: A) => unknown} fn
 * @param {number} ms
 * @returns {(...args: A) => void}
 */
export function debounce(fn, ms) {
  let timer = 0;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
}

/**
 * An empty-state paragraph.
 * @param {string} text
 */
export function empty(text) {
  return h('p', { class: 'empty' }, text);
}

/**
 * Text that may be very long (an error naming a deep path): over `max` characters it is shortened
 * in the middle, where paths repeat themselves, with a button that shows it whole.
 * @param {string | null | undefined} value
 * @param {number} [max]
 * @returns {string | HTMLElement}
 */
export function longText(value, max = 240) {
  const s = value ?? '';
  if (s.length <= max) return s;
  const keep = Math.floor((max - 1) / 2);
  const short = `${s.slice(0, keep)}…${s.slice(s.length - keep)}`;
  const span = h('span', { class: 'long-text', title: s }, short);
  const more = h(
    'button',
    { type: 'button', class: 'link-button more-button', 'aria-expanded': 'false' },
    'Show all',
  );
  more.addEventListener('click', () => {
    const open = more.getAttribute('aria-expanded') !== 'true';
    span.textContent = open ? s : short;
    more.setAttribute('aria-expanded', open ? 'true' : 'false');
    more.textContent = open ? 'Show less' : 'Show all';
  });
  return h('span', {}, span, ' ', more);
}

/**
 * An element of index.html, which has it.
 * @template {HTMLElement} [E=HTMLElement]
 * @param {string} id
 * @returns {E}
 */
export function byId(id) {
  const el = document.getElementById(id);
  if (!el) throw new Error(`index.html has no #${id}`);
  return /** @type {E} */ (el);
}
