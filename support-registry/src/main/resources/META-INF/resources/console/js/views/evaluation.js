// Evaluation: an evaluation job over the supports with its progress, the confusion matrix and per-class figures,
// and applying a recommended threshold.
import { h, show, say, fixed, flash } from '../dom.js';
import { call, callNdjson, describe, enc } from '../api.js';

export function evaluationSection(t) {
  const out = h('div', { id: 'evaluation', 'aria-live': 'polite' });
  const progress = h('progress', { max: 1, value: 0, 'aria-label': 'evaluation progress' });
  const run = h('button', { type: 'button' }, 'Evaluate');
  run.addEventListener('click', async () => {
    run.disabled = true;
    try {
      // an empty upload: the job evaluates the supports
      const started = await callNdjson(`/taxonomies/${enc(t.name)}/evaluations`, '');
      const job = await poll(started, progress);
      if (job.state !== 'EVALUATION_JOB_STATE_SUCCEEDED') {
        say(`The evaluation failed: ${job.error}`, 'error');
      } else {
        show(out, report(t, job.evaluation));
      }
    } catch (error) {
      say(describe(error), 'error');
    } finally {
      run.disabled = false;
    }
  });
  return h('section', { 'aria-labelledby': 'evaluation-title' }, h('h3', { id: 'evaluation-title' }, 'Evaluation'),
    h('p', { class: 'muted' }, 'Leave-one-out over the supports (classes with two or more), and leave-one-class-out for false accepts. ',
      'Labelled query photos can be evaluated with the CLI (affect taxonomy evaluate --queries) or the REST API.'),
    h('div', { class: 'row' }, run, progress), out);
}

async function poll(job, progress) {
  while (job.state === 'EVALUATION_JOB_STATE_QUEUED' || job.state === 'EVALUATION_JOB_STATE_RUNNING') {
    progress.max = Math.max(1, job.queriesTotal || 1);
    progress.value = job.queriesDone || 0;
    await new Promise(r => setTimeout(r, 300));
    job = await call('GET', `/evaluations/${enc(job.id)}`);
  }
  progress.value = progress.max;
  return job;
}

function report(t, e) {
  const names = (e.classes || []).map(c => c.className);
  const matrix = h('table', { class: 'confusion' }, h('caption', {}, 'Confusion matrix: rows are the true class, columns the answer'),
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'true \\ answered'), names.map(n => h('th', { scope: 'col' }, n)))),
    h('tbody', {}, (e.confusion || []).map((row, i) => h('tr', {}, h('th', { scope: 'row' }, row.className),
      names.map((n, j) => h('td', { class: 'num' + (i === j ? ' hit' : '') }, (row.counts || [])[j] || 0))))));
  const figures = h('table', { class: 'figures' }, h('caption', {}, 'Per class'),
    h('thead', {}, h('tr', {}, ['Class', 'Supports', 'Queries', 'Precision', 'Recall'].map(x => h('th', { scope: 'col' }, x)))),
    h('tbody', {}, (e.classes || []).map(c => h('tr', {}, h('td', {}, c.className), h('td', { class: 'num' }, c.supports || 0),
      h('td', { class: 'num' }, c.queries || 0), h('td', { class: 'num' }, fixed(num(c.precision))), h('td', { class: 'num' }, fixed(num(c.recall)))))));
  const applying = (change, label) => h('button', { type: 'button', class: 'secondary', onclick: async () => {
    try {
      const latest = await call('GET', `/taxonomies/${enc(t.name)}`);
      await call('PATCH', `/taxonomies/${enc(t.name)}`, Object.assign({ expectedRevision: latest.revision || '1' }, change));
      flash(`Applied the ${label}.`);
      window.dispatchEvent(new HashChangeEvent('hashchange'));
    } catch (error) {
      say(describe(error), 'error');
    }
  } }, `Apply the ${label}`);
  const apply = (kind, label) => applying({ applyThreshold: kind }, `${label} threshold`);
  const fitted = Number.isFinite(num(e.calibratedTemperature)) && num(e.calibratedTemperature) > 0;
  const source = (e.temperatureInForceSource || 'TEMPERATURE_SOURCE_CONFIGURED').replace('TEMPERATURE_SOURCE_', '').toLowerCase();
  return h('div', {}, h('p', {}, `${e.queries || 0} queries (+${e.unknownQueries || 0} of no class): accuracy ${fixed(num(e.accuracy))}, `,
    `balanced accuracy ${fixed(num(e.balancedAccuracy))}; model ${e.modelVersion}, revision ${e.taxonomyRevision}.`),
  matrix, figures,
  h('p', {}, `Best-F1 threshold ${fixed(num(e.bestF1Threshold), 4)} (F1 ${fixed(num(e.bestF1))}); within a false-accept rate of `,
    `${fixed(num(e.targetFalseAcceptRate), 2)}: ${fixed(num(e.falseAcceptThreshold), 4)}`,
    Number.isFinite(num(e.falseAcceptThreshold))
      ? ` (false accepts ${fixed(num(e.falseAcceptRate))} of ${e.unknownQueries || 0} queries of no class, at most `
        + `${fixed(num(e.falseAcceptRateUpper95))} at 95 %; true accepts ${fixed(num(e.trueAcceptRate))}, at least `
        + `${fixed(num(e.trueAcceptRateLower95))}). Chosen and scored on the same answers, so optimistic.`
      : '.'),
  h('p', {}, (e.heldOutFolds || 0) > 0
    ? `Held out (${e.heldOutFolds} folds by image, each scored at thresholds chosen on the others): F1 ${fixed(num(e.heldOutBestF1))}; `
      + `false accepts ${fixed(num(e.heldOutFalseAcceptRate))} of ${e.heldOutUnknownQueries || 0} queries of no class, at most `
      + `${fixed(num(e.heldOutFalseAcceptRateUpper95))} at 95 %; true accepts ${fixed(num(e.heldOutTrueAcceptRate))} of `
      + `${e.heldOutKnownQueries || 0}, at least ${fixed(num(e.heldOutTrueAcceptRateLower95))}. Expect these on new queries.`
    : 'Held out: not estimated (fewer than two images).',
    (e.excludedIdenticalQueries || 0) > 0
      ? ` ${e.excludedIdenticalQueries} labelled queries were a support's image byte for byte and were left out.` : ''),
  h('p', { 'data-figure': 'calibration' }, !num(e.temperatureInForce)
    ? 'Calibration: not computed (an evaluation made before the registry fitted temperatures).'
    : `Probabilities at temperature ${fixed(num(e.temperatureInForce), 4)} (${source}): expected `
    + `calibration error ${fixed(num(e.eceInForce))} over ${e.calibrationAnswers || 0} answers. `
    + (fitted
      ? `Fitted temperature ${fixed(num(e.calibratedTemperature), 4)}: expected calibration error ${fixed(num(e.eceCalibratedHeldOut))} `
        + `held out (${e.calibrationFolds} folds by image, each at the temperature fitted on the others).`
        + (e.calibratedTemperatureAtLowerBound ? ' It is the lower end of the search range: every answer was right with a margin, '
          + 'so these answers cannot tell how confident to be (add supports from more photos).' : '')
      : 'No temperature fitted: no fold of photos had answers both in it and outside it to fit and check on (from the supports: '
        + 'for instance one class with supports from three photos; from labelled queries: queries with a class from two photos).')),
  h('div', { class: 'row' }, Number.isFinite(num(e.bestF1Threshold)) ? apply('RECOMMENDED_THRESHOLD_BEST_F1', 'best-F1') : null,
    Number.isFinite(num(e.falseAcceptThreshold)) ? apply('RECOMMENDED_THRESHOLD_FALSE_ACCEPT_RATE', 'false-accept') : null,
    fitted ? applying({ applyTemperature: true }, 'fitted temperature') : null));
}

/** Protobuf JSON writes NaN as the string "NaN" and omits zeros. */
function num(v) {
  return v === undefined ? 0 : Number(v);
}
