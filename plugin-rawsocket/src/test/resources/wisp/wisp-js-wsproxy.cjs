// The wsproxy URL convention (ws://gateway/prefix/HOST:PORT, one TCP connection per WebSocket) three
// ways, with the same application code (echo 64 KiB checksummed, then a banner and the target's close):
//   1. the real npm @mercuryworkshop/wisp-js 0.5.0 client's WispWebSocket, which takes a wsproxy URL and
//      runs the socket as a stream of a Wisp connection to the URL's prefix;
//   2. a plain WebSocket (`ws`, the library wisp-js uses in Node) on the raw wsproxy path below the Wisp
//      endpoint (§B.3, case 38);
//   3. the same plain WebSocket on the rawsocket bridge's own wsproxy endpoint (part 1, /sockets/ws/).
// Prints one JSON line {ok, results:[{name, ok, detail}]} and exits 0 only when all passed.
//
// usage: node wisp-js-wsproxy.cjs WISP_PREFIX_URL BRIDGE_WSPROXY_PREFIX_URL TCP_ECHO_PORT BANNER_PORT
'use strict';
const crypto = require('crypto');
const WebSocket = require('ws');
const { client } = require('@mercuryworkshop/wisp-js/client');

const [wispUrl, bridgeUrl, echoPort, bannerPort] = process.argv.slice(2);
const results = [];

function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`${what}: timed out after ${ms} ms`)), ms); }),
  ]);
}

// The application: any WebSocket-like constructor, a wsproxy URL; sends `payload` and collects `expect`
// bytes, or (expect = null) collects until the close.
function converse(Ctor, url, payload, expect) {
  return withTimeout(new Promise((resolve, reject) => {
    const ws = new Ctor(url);
    ws.binaryType = 'arraybuffer';
    const got = [];
    let n = 0;
    let done = false;
    const finish = (ok, value) => { if (!done) { done = true; (ok ? resolve : reject)(value); } };
    ws.onopen = () => {
      for (let o = 0; payload && o < payload.length; o += 16384) ws.send(payload.subarray(o, o + 16384));
    };
    ws.onmessage = (e) => {
      const b = Buffer.from(e.data);
      got.push(b);
      n += b.length;
      if (expect !== null && n >= expect) {
        finish(true, Buffer.concat(got));
        ws.close();
      }
    };
    ws.onerror = (e) => finish(false, new Error('error: ' + (e && e.message || e)));
    ws.onclose = () => (expect === null ? finish(true, Buffer.concat(got))
      : finish(false, new Error('closed after ' + n + ' bytes')));
  }), 20000, url);
}

async function check(name, fn) {
  try {
    results.push({ name, ok: true, detail: await fn() });
  } catch (e) {
    results.push({ name, ok: false, detail: String(e && e.message || e) });
  }
}

const sha = (b) => crypto.createHash('sha256').update(b).digest('hex');

(async () => {
  const ways = [
    ['wisp-js WispWebSocket over Wisp', client.WispWebSocket, wispUrl],
    ['ws on the raw wsproxy path below the Wisp endpoint', WebSocket, wispUrl],
    ['ws on the bridge wsproxy endpoint', WebSocket, bridgeUrl],
  ];
  for (const [way, Ctor, prefix] of ways) {
    await check(`${way}: 64 KiB echo`, async () => {
      const payload = crypto.randomBytes(64 * 1024);
      const got = await converse(Ctor, `${prefix}127.0.0.1:${echoPort}`, payload, payload.length);
      if (sha(got) !== sha(payload)) throw new Error('checksum differs');
      return '64 KiB checksummed';
    });
    await check(`${way}: banner, then the target's close`, async () => {
      const got = (await converse(Ctor, `${prefix}127.0.0.1:${bannerPort}`, null, null)).toString();
      if (got !== 'hello') throw new Error('got ' + JSON.stringify(got));
      return got;
    });
  }
  const ok = results.length === 6 && results.every((r) => r.ok);
  process.stdout.write(JSON.stringify({ ok, results }) + '\n');
  process.exit(ok ? 0 : 1);
})();
