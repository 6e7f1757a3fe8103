// Taxonomies: the paged list and the form that creates one.
import { h, show, field, say, flash } from '../dom.js';
import { call, describe, enc } from '../api.js';

const PAGE = 20;

export async function taxonomiesView(main, session) {
  const list = h('div', {});
  show(main, h('h2', {}, 'Taxonomies'), list, createForm());
  await page(list, '');
}

async function page(list, token) {
  const r = await call('GET', `/taxonomies?page_size=${PAGE}&page_token=${enc(token)}`);
  const rows = (r.taxonomies || []).map(t => h('tr', {},
    h('td', {}, h('a', { href: `#/t/${enc(t.name)}` }, t.name)),
    h('td', {}, (t.kind || '').replace('TAXONOMY_KIND_', '').toLowerCase()),
    h('td', { class: 'num' }, (t.classes || []).length),
    h('td', { class: 'num' }, (t.classes || []).reduce((n, c) => n + (c.supportCount || 0), 0)),
    h('td', {}, t.description || '')));
  const table = rows.length ? h('table', {}, h('caption', { class: 'muted' }, 'Your taxonomies'),
    h('thead', {}, h('tr', {}, h('th', {}, 'Name'), h('th', {}, 'Kind'), h('th', { class: 'num' }, 'Classes'),
      h('th', { class: 'num' }, 'Supports'), h('th', {}, 'Description'))), h('tbody', {}, rows))
    : h('p', { class: 'muted' }, 'No taxonomy yet: create one below.');
  const more = r.nextPageToken ? h('button', { type: 'button', class: 'secondary', onclick: () => page(list, r.nextPageToken) },
    'Next page') : null;
  const first = token ? h('button', { type: 'button', class: 'secondary', onclick: () => page(list, '') }, 'First page') : null;
  show(list, table, h('div', { class: 'row' }, first, more));
}

function createForm() {
  const name = h('input', { type: 'text', required: true, maxlength: 64, id: 'new-name' });
  const kind = h('select', { id: 'new-kind' }, h('option', { value: 'TAXONOMY_KIND_CATEGORICAL' }, 'categorical'),
    h('option', { value: 'TAXONOMY_KIND_LEVEL' }, 'levels'));
  const description = h('textarea', { rows: 2, maxlength: 2000, id: 'new-description' });
  const classes = h('textarea', { rows: 3, required: true, id: 'new-classes', placeholder: 'one class per line, at least two' });
  return h('form', { class: 'stack', onsubmit: async e => {
    e.preventDefault();
    const names = classes.value.split('\n').map(s => s.trim()).filter(Boolean);
    try {
      const t = await call('POST', '/taxonomies', {
        name: name.value.trim(), kind: kind.value, description: description.value,
        classes: names.map((n, i) => ({ name: n, level: i + 1 })),
      });
      flash(`Created taxonomy ${t.name}.`);
      location.hash = `#/t/${enc(t.name)}`;
    } catch (error) {
      say(describe(error), 'error');
    }
  } }, h('h3', {}, 'New taxonomy'), field('Name', name), field('Kind', kind), field('Description', description),
  field('Classes (one per line)', classes), h('div', {}, h('button', { type: 'submit' }, 'Create taxonomy')));
}
