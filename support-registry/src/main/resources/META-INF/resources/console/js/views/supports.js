// Supports of a taxonomy: per class a paged gallery (thumbnails with the box drawn) and adding one from a photo
// with a box drawn on it; AddSupport's warnings are shown beside the new support.
import { h, show, say, fixed, flash } from '../dom.js';
import { call, describe, enc, base64, supportImage } from '../api.js';
import { thumbnail, BoxEditor, photoPicker } from '../images.js';

const PAGE = 12;

export function supportsSection(session, t) {
  return h('section', { 'aria-labelledby': 'supports-title' }, h('h3', { id: 'supports-title' }, 'Supports'),
    (t.classes || []).map(c => classBlock(session, t, c)));
}

function classBlock(session, t, c) {
  const gallery = h('div', { class: 'gallery' });
  const added = h('div', {});
  let count = c.supportCount || 0;
  const heading = h('h4', {}, `${c.name} (${count})`);
  const counted = () => show(heading, `${c.name} (${++count})`);
  const block = h('section', { class: 'class-block', 'data-class': c.name }, heading,
    gallery, addSupport(session, t, c, gallery, added, counted), added);
  loadPage(t, c, gallery, '');
  return block;
}

/** A page of the class's supports; {@code warnings} by support id are shown on those cards (a support just added). */
async function loadPage(t, c, gallery, token, warnings = {}) {
  try {
    const r = await call('GET', `/taxonomies/${enc(t.name)}/supports?class=${enc(c.name)}&page_size=${PAGE}&page_token=${enc(token)}`);
    const cards = await Promise.all((r.samples || []).map(s => card(t, s, warnings[s.id] || [])));
    show(gallery, cards.length ? cards : h('p', { class: 'muted' }, 'No support yet: Classify refuses until every class has one.'),
      r.nextPageToken ? h('button', { type: 'button', class: 'secondary', onclick: () => loadPage(t, c, gallery, r.nextPageToken, warnings) },
        `More supports of ${c.name}`) : null);
  } catch (error) {
    show(gallery, h('p', { class: 'warning' }, describe(error)));
  }
}

async function card(t, s, warnings = []) {
  let picture;
  try {
    picture = await thumbnail(await supportImage(t.name, s.id), [s.box], `support of ${s.className}`);
  } catch (error) {
    picture = h('p', { class: 'warning' }, describe(error));
  }
  const own = s.nearestOwnClassDistance, other = s.nearestOtherClassDistance;
  return h('div', { class: 'card', 'data-support': s.id }, picture, h('span', { class: 'id' }, s.id),
    own !== undefined || other !== undefined ? h('span', { class: 'muted' },
      `nearest own ${fixed(own, 3)} · other ${fixed(other, 3)}${s.nearestOtherClass ? ' (' + s.nearestOtherClass + ')' : ''}`) : null,
    warnings.map(w => h('span', { class: 'warning', role: 'note' }, `${(w.kind || '').replace(/_/g, ' ').toLowerCase()}: ${w.message}`)),
    h('button', { type: 'button', class: 'secondary', onclick: async () => {
      if (!confirm(`Remove this support of ${s.className}?`)) return;
      try {
        await call('DELETE', `/taxonomies/${enc(t.name)}/supports/${enc(s.id)}`);
        flash('Support removed.');
        window.dispatchEvent(new HashChangeEvent('hashchange'));
      } catch (error) {
        say(describe(error), 'error');
      }
    } }, 'Remove support'));
}

function addSupport(session, t, c, gallery, added, counted) {
  const area = h('div', { class: 'stack' });
  const start = () => show(area, photoPicker(`Photo for a new support of ${c.name}`, session.max_image_bytes, (file, bitmap) => {
    const submit = h('button', { type: 'button', disabled: true }, `Add support to ${c.name}`);
    const editor = new BoxEditor(bitmap, { onChange: boxes => { submit.disabled = boxes.length !== 1; } });
    submit.addEventListener('click', async () => {
      submit.disabled = true;
      try {
        const r = await call('POST', `/taxonomies/${enc(t.name)}/supports`, {
          className: c.name, image: { data: base64(await file.arrayBuffer()), mediaType: file.type }, box: editor.boxes[0],
          metadata: { source: 'console', file: file.name.slice(0, 200) },
        });
        say(r.created ? `Support added to ${c.name}${(r.warnings || []).length ? ' with warnings' : ''}.`
          : `This photo and box are already a support of ${c.name}.`);
        if (r.created) counted();
        show(added, (r.warnings || []).length ? h('p', { class: 'warning' }, `The new support ${r.sample.id} has warnings (on its card).`) : null);
        start();
        loadPage(t, c, gallery, '', { [r.sample.id]: r.warnings || [] });
      } catch (error) {
        say(describe(error), 'error');
        submit.disabled = false;
      }
    });
    show(area, editor.element, h('div', { class: 'row' }, submit,
      h('button', { type: 'button', class: 'secondary', onclick: start }, 'Cancel')));
  }, text => say(text, 'error')));
  start();
  return area;
}
