// The real npm @mercuryworkshop/wisp-js 0.5.0 client (Node, `ws` underneath) against the gateway's Wisp
// endpoint. Prints one JSON line {ok, results:[{name, ok, detail}]} and exits 0 only when all passed.
//
// usage: node wisp-js-client.cjs WISP_URL STRICT_WISP_URL TCP_ECHO_PORT UDP_ECHO_PORT CLOSED_PORT
'use strict';
const crypto = require('crypto');
const { client } = require('@mercuryworkshop/wisp-js/client');

const [url, strictUrl, echoArg, udpArg, closedArg] = process.argv.slice(2);
const echoPort = Number(echoArg);
const udpPort = Number(udpArg);
const closedPort = Number(closedArg);
const results = [];

function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`${what}: timed out after ${ms} ms`)), ms); }),
  ]);
}

function connect(wispUrl, version) {
  return withTimeout(new Promise((resolve, reject) => {
    const conn = new client.ClientConnection(wispUrl, { wisp_version: version });
    conn.onopen = () => resolve(conn);
    conn.onerror = () => reject(new Error('connection error'));
    conn.onclose = () => reject(new Error('closed before open'));
  }), 10000, 'open ' + wispUrl);
}

// Sends `chunks` on a new stream and collects `expect` bytes back; resolves with the bytes.
function roundTrip(conn, type, port, chunks, expect) {
  return withTimeout(new Promise((resolve, reject) => {
    const stream = conn.create_stream('127.0.0.1', port, type);
    const got = [];
    let n = 0;
    stream.onmessage = (data) => {
      got.push(Buffer.from(data));
      n += data.length;
      if (n >= expect) {
        stream.close(0x02);
        resolve(Buffer.concat(got));
      }
    };
    stream.onclose = (reason) => reject(new Error('stream closed with 0x' + reason.toString(16) + ' after ' + n + ' bytes'));
    for (const c of chunks) stream.send(c);
  }), 20000, `${type} round trip to ${port}`);
}

function closeReason(conn, host, port) {
  return withTimeout(new Promise((resolve) => {
    const stream = conn.create_stream(host, port, 'tcp');
    stream.onmessage = () => {};
    stream.onclose = (reason) => resolve(reason);
  }), 10000, `close reason for ${host}:${port}`);
}

async function check(name, fn) {
  const t0 = Date.now();
  try {
    const detail = await fn();
    results.push({ name, ok: true, detail, ms: Date.now() - t0 });
  } catch (e) {
    results.push({ name, ok: false, detail: String(e && e.message || e), ms: Date.now() - t0 });
  }
}

function sha(buf) {
  return crypto.createHash('sha256').update(buf).digest('hex');
}

async function suite(version) {
  const conn = await connect(url, version);
  const v = 'v' + version;
  await check(`${v} negotiated`, async () => {
    const want = version === 2 ? 2 : 1;
    if (conn.wisp_version !== want) throw new Error('spoke v' + conn.wisp_version);
    if (conn.max_buffer_size !== 128) throw new Error('buffer ' + conn.max_buffer_size);
    if (version === 2 && conn.server_motd !== 'hello from isthmus') throw new Error('motd ' + conn.server_motd);
    if (version === 2 && !conn.udp_enabled) throw new Error('udp not advertised');
    return { version: conn.wisp_version, buffer: conn.max_buffer_size, motd: conn.server_motd };
  });
  await check(`${v} tcp echo`, async () => {
    const out = await roundTrip(conn, 'tcp', echoPort, [Buffer.from('hello wisp')], 10);
    if (out.toString() !== 'hello wisp') throw new Error('got ' + out.toString());
    return out.toString();
  });
  await check(`${v} udp echo keeps datagrams`, async () => {
    const out = await roundTrip(conn, 'udp', udpPort, [Buffer.from('u1')], 2);
    if (out.toString() !== 'u1') throw new Error('got ' + out.toString());
    return out.toString();
  });
  await check(`${v} 8 concurrent tcp streams of 64 KiB`, async () => {
    const jobs = [];
    for (let i = 0; i < 8; i++) {
      const payload = crypto.randomBytes(64 * 1024);
      const chunks = [];
      for (let o = 0; o < payload.length; o += 16384) chunks.push(payload.subarray(o, o + 16384));
      jobs.push(roundTrip(conn, 'tcp', echoPort, chunks, payload.length).then((got) => {
        if (sha(got) !== sha(payload)) throw new Error('stream ' + i + ' checksum differs');
      }));
    }
    await Promise.all(jobs);
    return '8 x 64 KiB checksummed';
  });
  await check(`${v} flow control over 300 packets`, async () => {
    const chunks = [];
    for (let i = 0; i < 300; i++) chunks.push(Buffer.alloc(100, i & 0xff));
    const got = await roundTrip(conn, 'tcp', echoPort, chunks, 30000);
    if (sha(got) !== sha(Buffer.concat(chunks))) throw new Error('bytes differ');
    return '300 x 100 B';
  });
  await check(`${v} refused target closes with 0x44`, async () => {
    const r = await closeReason(conn, '127.0.0.1', closedPort);
    if (r !== 0x44) throw new Error('reason 0x' + r.toString(16));
    return r;
  });
  conn.close();
  const strict = await connect(strictUrl, version);
  await check(`${v} default policy blocks loopback with 0x48`, async () => {
    const a = await closeReason(strict, '127.0.0.1', echoPort);
    const b = await closeReason(strict, 'localhost', echoPort);
    if (a !== 0x48 || b !== 0x48) throw new Error('reasons 0x' + a.toString(16) + ', 0x' + b.toString(16));
    return [a, b];
  });
  strict.close();
}

(async () => {
  for (const version of [2, 1]) {
    try {
      await suite(version);
    } catch (e) {
      results.push({ name: `v${version} suite`, ok: false, detail: String(e && e.message || e) });
    }
  }
  const ok = results.length > 0 && results.every((r) => r.ok);
  process.stdout.write(JSON.stringify({ ok, results }) + '\n');
  process.exit(ok ? 0 : 1);
})();
