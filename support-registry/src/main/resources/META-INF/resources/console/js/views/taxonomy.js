// One taxonomy: its details and rejection rule, editing, deletion, model status, supports and evaluation.
import { h, show, field, say, fixed, flash } from '../dom.js';
import { call, describe, enc } from '../api.js';
import { supportsSection } from './supports.js';
import { evaluationSection } from './evaluation.js';

export async function taxonomyView(main, session, name) {
  const t = await call('GET', `/taxonomies/${enc(name)}`);
  const status = h('p', { class: 'muted', id: 'model-status' });
  show(main, h('h2', {}, `Taxonomy ${t.name}`), h('p', {}, t.description || h('span', { class: 'muted' }, 'no description')),
    h('p', { class: 'row' }, `Revision ${t.revision || 1} · ${(t.kind || '').replace('TAXONOMY_KIND_', '').toLowerCase()} · `,
      h('a', { href: `#/try/${enc(t.name)}` }, 'Try it')),
    rule(t), temperature(t), status, editForm(t), supportsSection(session, t), evaluationSection(t), deleteButton(t));
  await modelStatus(status);
}

function rule(t) {
  const r = t.rejection;
  if (!r) return h('p', { class: 'muted' }, 'No rejection rule: every answer names a class.');
  const perClass = Object.entries(r.classMaxDistance || {}).map(([c, d]) => `${c} ${fixed(d, 4)}`).join(', ');
  return h('p', {}, `Rejection rule: max distance ${r.maxDistance ? fixed(r.maxDistance, 4) : 'none'}, min margin `,
    `${r.minMargin ? fixed(r.minMargin, 4) : 'none'}${perClass ? ', per class ' + perClass : ''} (model ${r.modelVersion || '?'}).`);
}

function temperature(t) {
  const c = t.temperature;
  return c ? h('p', {}, `Temperature ${fixed(Number(c.value), 4)}, fitted on this taxonomy's held-out answers (model ${c.modelVersion || '?'}).`)
    : h('p', { class: 'muted' }, 'Probabilities at the served bundle\'s or the configured temperature.');
}

/** The serving model and re-embedding progress, refreshed every few seconds while re-embedding runs and the page is shown. */
async function modelStatus(el) {
  try {
    const s = await call('GET', '/reembedding');
    const done = Number(s.samplesDone || 0), total = Number(s.samplesTotal || 0);
    show(el, `Serving model ${s.activeModelVersion || '?'}; supports embedded with ${s.targetModelVersion || '?'}: ${done} of ${total}`,
      s.running ? ' (re-embedding…)' : '', s.lastError ? ` — last error: ${s.lastError}` : '');
    if (s.running) {
      setTimeout(() => { if (el.isConnected) modelStatus(el); }, 3000);
    }
  } catch (error) {
    show(el, 'Model status unavailable: ' + describe(error));
  }
}

function editForm(t) {
  const description = h('textarea', { rows: 2, maxlength: 2000, value: t.description || '' });
  const add = h('input', { type: 'text', placeholder: 'new classes, comma-separated' });
  const remove = h('select', { multiple: true, size: Math.min(6, (t.classes || []).length) },
    (t.classes || []).map(c => h('option', { value: c.name }, c.name)));
  return h('details', {}, h('summary', {}, 'Edit description and classes'), h('form', { class: 'stack', onsubmit: async e => {
    e.preventDefault();
    const removed = [...remove.selectedOptions].map(o => o.value);
    if (removed.length && !confirm(`Remove ${removed.join(', ')} with all their supports?`)) return;
    try {
      await call('PATCH', `/taxonomies/${enc(t.name)}`, {
        expectedRevision: t.revision || '1', description: description.value,
        addClasses: add.value.split(',').map(s => s.trim()).filter(Boolean).map(n => ({ name: n })), removeClasses: removed,
      });
      flash('Taxonomy updated.');
      window.dispatchEvent(new HashChangeEvent('hashchange'));
    } catch (error) {
      say(describe(error), 'error');
    }
  } }, field('Description', description), field('Add classes', add), field('Remove classes', remove),
  h('div', {}, h('button', { type: 'submit' }, 'Save changes'))));
}

function deleteButton(t) {
  return h('p', {}, h('button', { type: 'button', class: 'danger', onclick: async () => {
    if (!confirm(`Delete taxonomy ${t.name} with all its supports? This cannot be undone.`)) return;
    try {
      const r = await call('DELETE', `/taxonomies/${enc(t.name)}`);
      flash(`Deleted ${t.name} and ${r.deletedSupports || 0} support(s).`);
      location.hash = '#/';
    } catch (error) {
      say(describe(error), 'error');
    }
  } }, 'Delete taxonomy'));
}
