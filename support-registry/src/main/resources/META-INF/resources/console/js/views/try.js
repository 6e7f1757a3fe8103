// Try it: a query photo, one or several person boxes, and the answer per person with its explanation
// (nearest supports, scene classes, per-stream similarity) and the open-set verdict.
import { h, show, field, say, fixed, clearMessage } from '../dom.js';
import { call, describe, enc, base64, supportImage } from '../api.js';
import { thumbnail, BoxEditor, photoPicker } from '../images.js';

export async function tryView(main, session, taxonomy) {
  const name = h('input', { type: 'text', required: true, maxlength: 64, value: taxonomy, id: 'try-taxonomy' });
  const work = h('div', { class: 'stack' });
  const results = h('div', { id: 'results', 'aria-live': 'polite' });
  show(main, h('h2', {}, 'Try it'), h('p', { class: 'muted' },
    'Choose a photo, draw a box around each person, and classify them against a taxonomy.'),
  field('Taxonomy', name), work, results);
  show(work, photoPicker('Query photo', session.max_image_bytes, (file, bitmap) => {
    const classify = h('button', { type: 'button', disabled: true }, 'Classify');
    const editor = new BoxEditor(bitmap, { multiple: true, maxBoxes: session.max_persons || 64,
      onChange: boxes => { classify.disabled = boxes.length === 0; } });
    classify.addEventListener('click', async () => {
      clearMessage();
      classify.disabled = true;
      try {
        const r = await call('POST', `/taxonomies/${enc(name.value.trim())}/classify-persons`, {
          image: { data: base64(await file.arrayBuffer()), mediaType: file.type }, boxes: editor.boxes, explain: true,
        });
        show(results, await Promise.all((r.persons || []).map((p, i) => person(session, name.value.trim(), p, i))));
      } catch (error) {
        say(describe(error), 'error');
      } finally {
        classify.disabled = editor.boxes.length === 0;
      }
    });
    show(work, editor.element, h('div', {}, classify));
  }, text => say(text, 'error')));
}

async function person(session, taxonomy, p, i) {
  if (p.error) {
    return h('div', { class: 'answer', 'data-person': i }, h('h3', {}, `Person ${i + 1}`),
      h('p', { class: 'warning' }, `${p.error.code}: ${p.error.message}`));
  }
  const c = p.classification;
  const classes = c.classes || [];
  const evidence = (c.explanation && c.explanation.classes) || [];
  const verdict = c.unknown
    ? h('p', { class: 'unknown', 'data-verdict': 'unknown' }, `None of these: ${c.unknownReason || 'rejected by the taxonomy\'s rule'}`)
    : h('p', { 'data-verdict': 'known' }, 'Answer: ', h('strong', { class: 'best' }, classes[0] ? classes[0].className : '?'));
  const rows = classes.map(k => h('tr', {}, h('td', {}, k.className), h('td', { class: 'num' }, fixed(k.probability || 0, 3)),
    h('td', {}, h('span', { class: 'bar-cell', style: null, 'data-width': Math.round(100 * (k.probability || 0)) })),
    h('td', { class: 'num' }, fixed(k.distance || 0, 4))));
  const table = h('table', { class: 'ranking' }, h('caption', { class: 'muted' }, 'Classes, best first; probabilities at temperature '
    + `${fixed(c.temperature || 0, 4)} (${(c.temperatureSource || 'TEMPERATURE_SOURCE_CONFIGURED').replace('TEMPERATURE_SOURCE_', '').toLowerCase()})`),
    h('thead', {}, h('tr', {}, h('th', {}, 'Class'), h('th', { class: 'num' }, 'Probability'), h('th', {}, ''),
      h('th', { class: 'num' }, 'Distance'))), h('tbody', {}, rows));
  // the bars' widths are set as properties, not a style attribute: the page's CSP allows no inline style
  table.querySelectorAll('.bar-cell').forEach(b => { b.style.width = (2 * Number(b.dataset.width)) + 'px'; });
  const scene = ((c.explanation && c.explanation.sceneClasses) || []).slice(0, 8)
    .map(s => `${s.name} ${Math.round(100 * (s.pixelShare || 0))}%`).join(', ');
  return h('div', { class: 'answer', 'data-person': i }, h('h3', {}, `Person ${i + 1}`), verdict,
    c.rejectionStale ? h('p', { class: 'warning' }, 'The rejection rule was set for another model version: evaluate again.') : null,
    table, scene ? h('p', {}, 'Scene: ', scene) : null,
    h('h4', {}, 'Why: nearest supports'), await Promise.all(evidence.slice(0, 3).map(e => classEvidence(session, taxonomy, e))));
}

async function classEvidence(session, taxonomy, e) {
  const matches = await Promise.all((e.nearestSupports || []).map(async m => {
    const streams = (m.streams || []).map(s => `${(s.stream || '').replace('STREAM_', '').toLowerCase()} ${fixed(s.similarity || 0, 3)}`).join(', ');
    let picture = null;
    if (session.role === 'admin') {
      try {
        picture = await thumbnail(await supportImage(taxonomy, m.supportId), [], `nearest support of ${e.className}`);
      } catch (error) {
        picture = h('span', { class: 'warning' }, describe(error));
      }
    }
    return h('div', { class: 'card', 'data-support': m.supportId }, picture, h('span', { class: 'id' }, m.supportId),
      h('span', {}, `distance ${fixed(m.distance || 0, 4)}`), streams ? h('span', { class: 'muted' }, `alike in ${streams}`) : null);
  }));
  return h('div', {}, h('p', {}, e.className), h('div', { class: 'gallery' }, matches));
}
