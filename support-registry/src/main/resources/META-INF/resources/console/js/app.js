// The console's entry point: sign-in, the role of the key, and a hash router over the views.
import { h, show, field, say, flash, messageAfterNavigation } from './dom.js';
import { call, signIn, signOut, signedInKey, describe } from './api.js';
import { taxonomiesView } from './views/taxonomies.js';
import { taxonomyView } from './views/taxonomy.js';
import { tryView } from './views/try.js';

const main = document.getElementById('main');
/** {role, auth_enabled, max_image_bytes, max_persons} of the signed-in key. */
let session = null;

function signInView(reason) {
  const key = h('input', { type: 'password', autocomplete: 'off', required: true, id: 'key' });
  const form = h('form', { class: 'stack', onsubmit: async e => {
    e.preventDefault();
    signIn(key.value.trim());
    try {
      session = await call('GET', '/whoami');
      flash(`Signed in with a${session.role === 'admin' ? 'n admin' : ' client'} key.`);
      navigate('#/');
    } catch (error) {
      signOut();
      say(describe(error), 'error');
    }
  } },
  h('p', {}, 'Sign in with an admin key (manage taxonomies and supports) or a client key (classify only). ',
    'The key is kept in this browser tab only, until you close it or sign out.'),
  field('API key', key), h('div', {}, h('button', { type: 'submit' }, 'Sign in')));
  show(main, h('h2', {}, 'Sign in'), reason ? h('p', { class: 'muted' }, reason) : null, form);
  key.focus();
}

function renderChrome() {
  const nav = document.getElementById('nav');
  const who = document.getElementById('who');
  if (!session) {
    show(nav);
    show(who);
    return;
  }
  show(nav, session.role === 'admin' ? h('a', { href: '#/' }, 'Taxonomies') : null, h('a', { href: '#/try' }, 'Try it'));
  show(who, `${session.role} key `, h('button', { type: 'button', class: 'secondary', onclick: () => {
    signOut();
    session = null;
    renderChrome();
    say('Signed out.');
    signInView();
  } }, 'Sign out'));
}

async function route() {
  if (!signedInKey()) {
    session = null;
    renderChrome();
    signInView();
    return;
  }
  if (!session) {
    try {
      session = await call('GET', '/whoami');
    } catch (error) {
      signOut();
      session = null;
      renderChrome();
      signInView(describe(error));
      return;
    }
  }
  renderChrome();
  const parts = location.hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent);
  try {
    if (parts[0] === 'try') {
      await tryView(main, session, parts[1] || '');
    } else if (parts[0] === 't' && parts[1] && session.role === 'admin') {
      await taxonomyView(main, session, parts[1]);
    } else if (session.role === 'admin') {
      await taxonomiesView(main, session);
    } else {
      await tryView(main, session, '');
    }
  } catch (error) {
    say(describe(error), 'error');
  }
  main.focus();
}

/** Goes to a route; the hashchange event renders it, or it is rendered now when the hash is already there. */
function navigate(hash) {
  if (location.hash === hash) {
    messageAfterNavigation();
    route();
  } else {
    location.hash = hash;
  }
}

window.addEventListener('hashchange', () => { messageAfterNavigation(); route(); });
route();
