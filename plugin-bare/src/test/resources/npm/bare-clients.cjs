// Runs the real npm Bare clients against an Isthmus gateway: node bare-clients.cjs <bare server URL> <origin port>.
// Prints one JSON line: {"passed":[...],"failed":[{"name","error"}]}. Needs a global WebSocket
// (node --experimental-websocket on Node 20, passed through NODE_OPTIONS by the test).
'use strict';
const path = require('node:path');
const { pathToFileURL } = require('node:url');

const [server, originPort] = process.argv.slice(2);
const origin = `http://127.0.0.1:${originPort}`;
const modules = process.env.NODE_PATH;
const passed = [];
const failed = [];

async function check(name, fn) {
  try {
    await fn();
    passed.push(name);
  } catch (e) {
    failed.push({ name, error: String(e && e.stack || e) });
  }
}

function assert(cond, what) {
  if (!cond) throw new Error('assertion failed: ' + what);
}

function withTimeout(promise, ms, what) {
  return Promise.race([promise, new Promise((_, reject) => setTimeout(() => reject(new Error('timeout: ' + what)), ms))]);
}

async function load(rel) {
  return import(pathToFileURL(path.join(modules, rel)).href);
}

async function bareClientTests() {
  const { createBareClient } = await load('@tomphttp/bare-client/dist/index.js');
  const client = await createBareClient(server);

  await check('bare-client: GET with custom headers and status text', async () => {
    const res = await client.fetch(`${origin}/status?code=201&text=Custom%20Reason`, { headers: { 'X-Custom': 'yes' } });
    assert(res.status === 201, 'status 201, got ' + res.status);
    assert(res.statusText === 'Custom Reason', 'status text, got ' + res.statusText);
    const echo = await client.fetch(`${origin}/echo`, { headers: { 'X-Custom': 'yes' } });
    const seen = await echo.json();
    assert(JSON.stringify(seen.headers).includes('"X-Custom","yes"') || JSON.stringify(seen.headers).toLowerCase().includes('"x-custom","yes"'),
      'custom header reached the origin: ' + JSON.stringify(seen.headers));
  });

  await check('bare-client: POST body', async () => {
    const res = await client.fetch(`${origin}/echo`, { method: 'POST', body: 'posted-body' });
    const seen = await res.json();
    assert(seen.method === 'POST' && seen.body === 'posted-body', JSON.stringify(seen));
  });

  await check('bare-client: gzip passthrough', async () => {
    const res = await client.fetch(`${origin}/gzip`);
    assert(res.headers.get('content-encoding') === 'gzip', 'content-encoding: ' + res.headers.get('content-encoding'));
    const text = await res.text();
    assert(text === 'hello gzip world, compressed!', 'decoded body: ' + text);
  });

  await check('bare-client: redirect not followed by the server', async () => {
    const res = await client.fetch(`${origin}/redirect`, { redirect: 'manual' });
    assert(res.status === 302, 'status ' + res.status);
    assert(res.headers.get('location') === '/echo', 'location ' + res.headers.get('location'));
  });

  await check('bare-client: 5000-character header split and re-joined', async () => {
    const res = await client.fetch(`${origin}/long-header`);
    assert(res.headers.get('x-long') === 'x'.repeat(5000), 'x-long length ' + (res.headers.get('x-long') || '').length);
  });

  await check('bare-client: v3 WebSocket echo with subprotocol and greeting', async () => {
    const ws = client.createWebSocket(`ws://127.0.0.1:${originPort}/ws`, ['chat'], {});
    ws.binaryType = 'arraybuffer';
    const got = [];
    await withTimeout(new Promise((resolve, reject) => {
      ws.onmessage = (e) => {
        got.push(e.data);
        if (got.length === 1) ws.send('ws-echo');
        if (got.length === 2) resolve();
      };
      ws.onerror = (e) => reject(new Error('websocket error ' + (e && e.message)));
      ws.onclose = () => reject(new Error('closed early; got ' + JSON.stringify(got)));
    }), 10000, 'bare-client websocket');
    assert(ws.protocol === 'chat', 'protocol ' + ws.protocol);
    assert(got[0] === 'greeting' && got[1] === 'ws-echo', JSON.stringify(got));
    ws.onclose = null;
    ws.close();
  });
}

async function module3Tests() {
  const mod = await load('@mercuryworkshop/bare-as-module3/dist/index.mjs');
  const BareClient = mod.BareClient || mod.default;
  const client = new BareClient(new URL(server));
  if (client.init) await client.init();

  await check('bare-as-module3: GET with custom headers and status text', async () => {
    const res = await client.request(new URL(`${origin}/status?code=201&text=Custom%20Reason`), 'GET', null,
      { 'X-Custom': 'yes', Host: `127.0.0.1:${originPort}` }, undefined);
    assert(res.status === 201, 'status ' + res.status);
    assert(res.statusText === 'Custom Reason', 'status text ' + res.statusText);
  });

  await check('bare-as-module3: POST body', async () => {
    const res = await client.request(new URL(`${origin}/echo`), 'POST', 'module3-body', {}, undefined);
    const text = await new Response(res.body).text();
    const seen = JSON.parse(text);
    assert(seen.body === 'module3-body', text);
  });

  await check('bare-as-module3: 5000-character header split and re-joined', async () => {
    const res = await client.request(new URL(`${origin}/long-header`), 'GET', null, {}, undefined);
    const h = res.headers['X-Long'] || res.headers['x-long'];
    assert(h === 'x'.repeat(5000), 'x-long ' + (h || '').length);
  });

  await check('bare-as-module3: v3 WebSocket echo with subprotocol and greeting', async () => {
    const got = [];
    let protocol;
    let send;
    await withTimeout(new Promise((resolve, reject) => {
      [send] = client.connect(new URL(`ws://127.0.0.1:${originPort}/ws`), ['p2'], {},
        (p) => { protocol = p; },
        (data) => {
          got.push(data);
          if (got.length === 1) send('m3-echo');
          if (got.length === 2) resolve();
        },
        (code) => reject(new Error('closed ' + code + ' after ' + JSON.stringify(got))),
        (err) => reject(new Error('error ' + err)));
    }), 10000, 'module3 websocket');
    assert(protocol === 'p2', 'protocol ' + protocol);
    assert(got[0] === 'greeting' && got[1] === 'm3-echo', JSON.stringify(got));
  });
}

(async () => {
  await bareClientTests().catch((e) => failed.push({ name: 'bare-client setup', error: String(e && e.stack || e) }));
  await module3Tests().catch((e) => failed.push({ name: 'bare-as-module3 setup', error: String(e && e.stack || e) }));
  console.log(JSON.stringify({ passed, failed }));
  process.exit(0);
})();
