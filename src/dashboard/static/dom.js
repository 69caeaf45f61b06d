// A tiny element builder: h('button', { class: 'btn', onclick }, 'Retry'). Text is always set as
// text (never innerHTML), so nothing the agent reports can inject markup.

const SVG_NS = 'http://www.w3.org/2000/svg';
const SVG_TAGS = new Set(['svg', 'path', 'line', 'rect', 'text', 'g', 'circle', 'polyline']);

function apply(el, attrs) {
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') {
      el.addEventListener(k.slice(2), v);
    } else if (k === 'class') {
      el.setAttribute('class', Array.isArray(v) ? v.filter(Boolean).join(' ') : v);
    } else if (k === 'dataset') {
      Object.assign(el.dataset, v);
    } else if (k === 'style' && typeof v === 'object') {
      for (const [p, val] of Object.entries(v)) el.style.setProperty(p, val);
    } else if (k === 'value' || k === 'checked' || k === 'indeterminate' || k === 'disabled') {
      el[k] = v;
    } else {
      el.setAttribute(k, v === true ? '' : String(v));
    }
  }
}

function append(el, children) {
  for (const c of children) {
    if (c === undefined || c === null || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

/** Creates an element (SVG elements in the SVG namespace). */
export function h(tag, attrs, ...children) {
  const el = SVG_TAGS.has(tag)
    ? document.createElementNS(SVG_NS, tag)
    : document.createElement(tag);
  apply(el, attrs);
  append(el, children);
  return el;
}

/** Replaces an element's children. */
export function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/** A status pill: tone is ok | info | warn | bad | muted. */
export function badge(text, tone = 'muted', title) {
  return h('span', { class: `badge badge-${tone}`, title }, text);
}

/** A toggle with role=switch; `onToggle(next)` may return a promise (the switch waits). */
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
  const set = (on) => {
    el.setAttribute('aria-checked', on ? 'true' : 'false');
    text.textContent = on ? labelOn || label : labelOff || label;
    if (label) el.setAttribute('aria-label', label);
  };
  set(checked);
  el.addEventListener('click', async () => {
    const next = el.getAttribute('aria-checked') !== 'true';
    el.disabled = true;
    try {
      await onToggle(next);
      set(next);
    } finally {
      el.disabled = false;
    }
  });
  return Object.assign(el, { setChecked: set });
}

/** Calls fn at most once per `ms` (trailing). */
export function debounce(fn, ms) {
  let timer = 0;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
}

/** An empty-state paragraph. */
export function empty(text) {
  return h('p', { class: 'empty' }, text);
}

/**
 * Text that may be very long (an error naming a deep path): over `max` characters it is shortened
 * in the middle, where paths repeat themselves, with a button that shows it whole.
 */
export function longText(text, max = 240) {
  const s = String(text ?? '');
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
