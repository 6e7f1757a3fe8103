// Building the page without HTML strings: text always goes in as text nodes, so nothing the server sends
// (a class named "<img src=x onerror=...>") can become markup.

/** An element: h('td', {class: 'num'}, 'text', child, ...); attribute values are set as attributes, on* as listeners. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') {
      el.addEventListener(name.slice(2), value);
    } else if (name === 'value') {
      el.value = value;
    } else {
      el.setAttribute(name, value === true ? '' : String(value));
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replaces an element's content. */
export function show(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/** A labelled control: the label wraps the control, so every input has an accessible name. */
export function field(labelText, control) {
  return h('label', {}, labelText, control);
}

export function fixed(value, digits = 3) {
  return Number.isFinite(value) ? value.toFixed(digits) : '—';
}

/** The status line under the header (role=status, read by screen readers). */
export function say(text, kind = 'info') {
  const m = document.getElementById('message');
  m.className = 'message ' + kind;
  show(m, text || '');
}

export function clearMessage() {
  say('');
}

let pending = null;

/** A message for the page the console goes to next (navigating clears the current one). */
export function flash(text) {
  pending = text;
}

/** On navigation: the flashed message, else none. */
export function messageAfterNavigation() {
  say(pending || '');
  pending = null;
}
