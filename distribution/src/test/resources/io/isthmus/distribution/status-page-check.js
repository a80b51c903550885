// Runs inside the gateway's status page (playwright's addInitScript, before the page's own script) in
// the real headless Chromium: waits until the page has drawn status.json twice, reads /metrics from the
// same origin, and checks every figure the page shows (each cell's data-k/data-v, and the text of the
// counts) against it. Reports through window.__e2e for testing/npm/run-page.cjs.
'use strict';
(function () {
  if (location.pathname !== '/status') return;

  function parseMetrics(text) {
    const samples = [];
    for (const line of text.split('\n')) {
      if (!line || line.startsWith('#')) continue;
      const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
      if (!m) continue;
      const labels = {};
      for (const l of (m[2] || '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]] = l[2];
      samples.push({ name: m[1], labels, value: Number(m[3]) });
    }
    return samples;
  }

  function sum(samples, test) {
    let total = 0, found = false;
    for (const s of samples) if (test(s)) { total += s.value; found = true; }
    return found ? total : null;
  }

  // What /metrics says a cell's key should show; undefined for figures /metrics has no counterpart of (rates).
  function expected(samples, key) {
    const parts = key.split('.');
    if (parts[0] === 'talker') return undefined;
    const [protocol, field, label] = parts;
    const is = (name, extra) => (s) => s.name === name && s.labels.protocol === protocol
      && Object.entries(extra || {}).every(([k, v]) => s.labels[k] === v);
    switch (field) {
      case 'connections': return sum(samples, is('isthmus_connections_active'));
      case 'links': return sum(samples, is('isthmus_splices_active'));
      case 'waiting': return sum(samples, (s) => /^isthmus_.*_waiting$/.test(s.name) && s.labels.protocol === protocol) ?? 0;
      case 'bytesUpstream': return sum(samples, is('isthmus_spliced_bytes_total', { direction: 'upstream' }));
      case 'bytesDownstream': return sum(samples, is('isthmus_spliced_bytes_total', { direction: 'downstream' }));
      case 'rejections': return sum(samples, is('isthmus_rejections_total', { reason: label }));
      case 'egressRefusals': return sum(samples, is('isthmus_egress_refusals_total', { reason: label }));
      case 'handshakes': return sum(samples, is('isthmus_handshakes_total', { outcome: label }));
      default: return undefined;
    }
  }

  async function check() {
    const results = [];
    const metrics = parseMetrics(await (await fetch('metrics', { cache: 'no-store' })).text());
    let compared = 0;
    for (const td of document.querySelectorAll('[data-k]')) {
      const key = td.dataset.k;
      const want = expected(metrics, key);
      if (want === undefined) continue;
      compared++;
      const shown = Number(td.dataset.v);
      const ok = want !== null && shown === want;
      // Counts are shown as plain integers (with thousands separators): the text must say the same.
      const textOk = !/(connections|links|waiting|rejections|egressRefusals|handshakes)/.test(key.split('.')[1])
        || Number(td.textContent.replace(/,/g, '')) === want;
      if (!ok || !textOk) results.push({ name: key, ok: false, shown, text: td.textContent, metrics: want });
    }
    // Top talkers count every live link (fewer groups than rows here).
    const talkerLinks = [...document.querySelectorAll('[data-k$=".links"]')]
      .filter((td) => td.dataset.k.startsWith('talker.')).reduce((n, td) => n + Number(td.dataset.v), 0);
    const liveLinks = sum(metrics, (s) => s.name === 'isthmus_splices_active');
    results.push({ name: 'talkers-count-every-live-link', ok: talkerLinks === liveLinks, shown: talkerLinks, metrics: liveLinks });
    const rows = [...document.querySelectorAll('#protocols tbody tr td:first-child')].map((td) => td.textContent);
    for (const p of ['http', 'webroute', 'remoted', 'bare', 'wstunnel', 'rawsocket', 'wisp']) {
      results.push({ name: 'row-' + p, ok: rows.includes(p) });
    }
    results.push({ name: 'state-ready', ok: document.getElementById('state').textContent === 'ready' });
    results.push({ name: 'figures-compared', ok: compared >= 15, compared });
    return { done: true, ok: results.every((r) => r.ok !== false), compared, results };
  }

  function waitForRenders(n, then) {
    if (document.body && Number(document.body.dataset.renders || 0) >= n) then();
    else setTimeout(() => waitForRenders(n, then), 100);
  }

  window.addEventListener('DOMContentLoaded', () => {
    // The second drawing: rates have a window by then, and a first drawing's race with start-up is past.
    waitForRenders(2, () => {
      check().then((r) => { window.__e2e = r; },
        (e) => { window.__e2e = { done: true, ok: false, results: [{ name: 'check', ok: false, error: String(e) }] }; });
    });
  });
})();
