// The status page: fetches status.json (same origin) every two seconds and draws it. Every figure's cell
// carries its key (data-k) and exact value (data-v), so what is shown can be checked against /metrics.
'use strict';
(function () {
  const REFRESH_MS = 2000;
  let paused = false;
  let renders = 0;

  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  function bytes(n) {
    let i = 0;
    while (Math.abs(n) >= 1024 && i < units.length - 1) { n /= 1024; i++; }
    return (i === 0 ? String(Math.round(n)) : n.toFixed(n < 10 ? 2 : 1)) + ' ' + units[i];
  }
  const count = (n) => Math.round(n).toLocaleString('en-US');
  const rate = (n) => (n === 0 ? '0' : n < 10 ? n.toFixed(2) : n.toFixed(1));
  const byteRate = (n) => bytes(n) + '/s';
  function duration(s) {
    s = Math.floor(s);
    const d = Math.floor(s / 86400), h = Math.floor(s / 3600) % 24, m = Math.floor(s / 60) % 60;
    return (d ? d + 'd ' : '') + (d || h ? h + 'h ' : '') + m + 'm ' + (s % 60) + 's';
  }

  function cell(text, key, value, cls) {
    const td = document.createElement('td');
    td.textContent = text;
    if (key !== undefined) {
      td.dataset.k = key;
      td.dataset.v = String(value);
      if (value === 0) td.className = 'zero';
    }
    if (cls) td.classList.add(cls);
    return td;
  }
  function fill(table, rows) {
    const body = document.querySelector('#' + table + ' tbody');
    body.replaceChildren(...rows.map((cells) => {
      const tr = document.createElement('tr');
      tr.append(...cells);
      return tr;
    }));
    if (rows.length === 0) {
      const tr = document.createElement('tr');
      const td = cell('none', undefined, undefined, 'text');
      td.colSpan = document.querySelectorAll('#' + table + ' thead th').length;
      td.classList.add('zero');
      tr.append(td);
      body.append(tr);
    }
  }

  function render(s) {
    document.getElementById('version').textContent = s.version;
    const state = document.getElementById('state');
    state.textContent = s.state;
    state.className = 'badge ' + s.state;
    document.getElementById('uptime').textContent = duration(s.uptimeSeconds);
    document.getElementById('updated').textContent = new Date(s.sampledAtMillis).toLocaleTimeString('en-GB');
    document.getElementById('window').textContent = s.rateWindowSeconds.toFixed(1) + ' s';

    fill('protocols', s.protocols.map((p) => {
      const k = (f) => p.protocol + '.' + f;
      return [
        cell(p.protocol, undefined, undefined, 'text'),
        cell(count(p.connections), k('connections'), p.connections),
        cell(count(p.waiting), k('waiting'), p.waiting),
        cell(count(p.links), k('links'), p.links),
        cell(rate(p.linksPerSecond), k('linksPerSecond'), p.linksPerSecond),
        cell(byteRate(p.bytesUpstreamPerSecond), k('bytesUpstreamPerSecond'), p.bytesUpstreamPerSecond),
        cell(byteRate(p.bytesDownstreamPerSecond), k('bytesDownstreamPerSecond'), p.bytesDownstreamPerSecond),
        cell(bytes(p.bytesUpstream), k('bytesUpstream'), p.bytesUpstream),
        cell(bytes(p.bytesDownstream), k('bytesDownstream'), p.bytesDownstream),
        cell(rate(p.rejectionsPerSecond), k('rejectionsPerSecond'), p.rejectionsPerSecond),
        cell(rate(p.egressRefusalsPerSecond), k('egressRefusalsPerSecond'), p.egressRefusalsPerSecond),
      ];
    }));

    const refusals = [];
    for (const p of s.protocols) {
      for (const [kind, field] of [['refused input', 'rejections'], ['egress refused', 'egressRefusals']]) {
        for (const [reason, n] of Object.entries(p[field])) {
          refusals.push([cell(p.protocol, undefined, undefined, 'text'), cell(kind, undefined, undefined, 'text'),
            cell(reason, undefined, undefined, 'text'), cell(count(n), p.protocol + '.' + field + '.' + reason, n)]);
        }
      }
    }
    fill('refusals', refusals);

    const handshakes = [];
    for (const p of s.protocols) {
      for (const [outcome, n] of Object.entries(p.handshakes)) {
        handshakes.push([cell(p.protocol, undefined, undefined, 'text'), cell(outcome, undefined, undefined, 'text'),
          cell(count(n), p.protocol + '.handshakes.' + outcome, n)]);
      }
    }
    fill('handshakes', handshakes);

    fill('talkers', s.topTalkers.map((t, i) => [
      cell(t.protocol, undefined, undefined, 'text'), cell(t.client, undefined, undefined, 'text'),
      cell(count(t.links), 'talker.' + i + '.links', t.links),
      cell(bytes(t.bytesUpstream), 'talker.' + i + '.bytesUpstream', t.bytesUpstream),
      cell(bytes(t.bytesDownstream), 'talker.' + i + '.bytesDownstream', t.bytesDownstream),
    ]));

    renders++;
    document.body.dataset.renders = String(renders);
  }

  async function refresh() {
    const error = document.getElementById('error');
    try {
      const res = await fetch('status.json', { cache: 'no-store' });
      if (!res.ok) throw new Error('status.json answered ' + res.status);
      render(await res.json());
      error.hidden = true;
    } catch (e) {
      error.textContent = 'The gateway does not answer (' + e.message + '); trying again.';
      error.hidden = false;
      const state = document.getElementById('state');
      state.textContent = 'down';
      state.className = 'badge down';
    }
  }

  async function loop() {
    if (!paused) await refresh();
    setTimeout(loop, REFRESH_MS);
  }

  document.getElementById('pause').addEventListener('click', (e) => {
    paused = !paused;
    e.target.textContent = paused ? 'resume' : 'pause';
  });
  loop();
})();
