// Direct Sockets for every web page, through an Isthmus gateway.
//
// An ES module implementing TCPSocket and connected-mode UDPSocket of the WICG Direct Sockets draft
// (https://wicg.github.io/direct-sockets/) over Wisp v2 and the gateway's extension 0xF1 (per-stream
// options, an OPENED reply with the resolved remote and the local address, and END, a half-close either
// way; plugin-rawsocket/README.md has the bytes). Served by the gateway at /sockets/direct-sockets.js.
//
//   import { TCPSocket, UDPSocket } from "https://gateway.example/sockets/direct-sockets.js";
//   const socket = new TCPSocket("example.com", 80, { noDelay: true });
//   const { readable, writable, remoteAddress } = await socket.opened;
//
// Errors follow the draft: a refused, unreachable or timed-out target rejects `opened` with a
// "NetworkError" DOMException, a target the gateway's policy forbids with "NotAllowedError".

const WISP_PATH = "__WISP_PATH__";
const CONNECT = 0x01, DATA = 0x02, CONTINUE = 0x03, CLOSE = 0x04, INFO = 0x05;
const CONNECT_EX = 0xf1, OPENED = 0xf2, END = 0xf3;
const EXT_UDP = 0x01, EXT_DIRECT_SOCKETS = 0xf1;
const MAX_PACKET = 60 * 1024;
const SOCKET_BUFFER_HIGH = 1 << 20;

let defaultUrl = null;

/** Points the library at another gateway's Wisp endpoint (ws:// or wss:// URL ending in "/"). */
export function configure({ url }) {
  defaultUrl = url;
}

function wispUrl() {
  if (defaultUrl) return defaultUrl;
  const u = new URL(WISP_PATH, import.meta.url);
  u.protocol = u.protocol === "https:" ? "wss:" : "ws:";
  return u.href;
}

function packet(type, id, payloadLength) {
  const b = new Uint8Array(5 + payloadLength);
  const v = new DataView(b.buffer);
  v.setUint8(0, type);
  v.setUint32(1, id, true);
  return { bytes: b, view: v };
}

const REASON_NAMES = {
  0x41: "invalid target", 0x42: "unreachable", 0x43: "connection timed out", 0x44: "connection refused",
  0x47: "idle timeout", 0x48: "blocked by the gateway's policy", 0x49: "too many streams", 0x03: "network error",
};

function errorFor(reason) {
  const text = REASON_NAMES[reason] || "closed (0x" + reason.toString(16) + ")";
  return new DOMException(text, reason === 0x48 ? "NotAllowedError" : "NetworkError");
}

/** One WebSocket to the gateway, shared by every socket of the page that uses the same URL. */
class Session {
  static sessions = new Map();

  static get(url) {
    let s = Session.sessions.get(url);
    if (!s || s.dead) {
      s = new Session(url);
      Session.sessions.set(url, s);
    }
    return s;
  }

  constructor(url) {
    this.streams = new Map();
    this.nextId = 1;
    this.buffer = 0;
    this.dead = false;
    this.ready = new Promise((resolve, reject) => {
      const ws = new WebSocket(url, "wisp-v2");
      ws.binaryType = "arraybuffer";
      this.ws = ws;
      let info = false;
      ws.onmessage = (event) => {
        const b = new Uint8Array(event.data);
        if (b.length < 5) return;
        const v = new DataView(b.buffer, b.byteOffset, b.length);
        const type = v.getUint8(0), id = v.getUint32(1, true);
        if (id === 0 && type === INFO) {
          info = true;
          let ours = false;
          for (let o = 7; o + 5 <= b.length;) {
            const ext = v.getUint8(o), len = v.getUint32(o + 1, true);
            if (ext === EXT_DIRECT_SOCKETS) ours = true;
            o += 5 + len;
          }
          if (!ours) {
            ws.close();
            reject(new DOMException("the gateway does not offer the Direct Sockets extension", "NotSupportedError"));
            return;
          }
          const p = packet(INFO, 0, 2 + 5 + 6);
          p.view.setUint8(5, 2); p.view.setUint8(6, 0);
          p.view.setUint8(7, EXT_UDP); p.view.setUint32(8, 0, true);
          p.view.setUint8(12, EXT_DIRECT_SOCKETS); p.view.setUint32(13, 1, true); p.view.setUint8(17, 1);
          ws.send(p.bytes);
          return;
        }
        if (id === 0 && type === CONTINUE) {
          if (!info) {
            ws.close();
            reject(new DOMException("the gateway speaks Wisp v1 only", "NotSupportedError"));
            return;
          }
          this.buffer = v.getUint32(5, true);
          resolve(this);
          return;
        }
        if (id === 0 && type === CLOSE) {
          reject(errorFor(b[5]));
          return;
        }
        const stream = this.streams.get(id);
        if (stream) stream.packet(type, b, v);
      };
      ws.onclose = () => {
        this.dead = true;
        reject(new DOMException("the gateway closed the connection", "NetworkError"));
        for (const s of [...this.streams.values()]) s.onClose(0x03);
        this.streams.clear();
      };
    });
  }

  send(bytes) {
    this.ws.send(bytes);
  }

  /** Resolves once the WebSocket has room again (its own back-pressure). */
  async drained() {
    while (this.ws.bufferedAmount > SOCKET_BUFFER_HIGH && this.ws.readyState === WebSocket.OPEN) {
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  open(stream, type, host, port, options) {
    const id = this.nextId++;
    this.streams.set(id, stream);
    const opts = encodeOptions(options);
    const name = new TextEncoder().encode(host);
    const p = packet(CONNECT_EX, id, 5 + opts.length + name.length);
    p.view.setUint8(5, type);
    p.view.setUint16(6, port, true);
    p.view.setUint16(8, opts.length, true);
    p.bytes.set(opts, 10);
    p.bytes.set(name, 10 + opts.length);
    this.send(p.bytes);
    return id;
  }
}

function encodeOptions(o) {
  const out = [];
  const u32 = (tag, value) => {
    const b = new Uint8Array(6);
    const v = new DataView(b.buffer);
    v.setUint8(0, tag); v.setUint8(1, 4); v.setUint32(2, value, true);
    out.push(...b);
  };
  if (o.noDelay !== undefined) out.push(0x01, 1, o.noDelay ? 1 : 0);
  if (o.keepAliveDelay !== undefined) u32(0x02, o.keepAliveDelay);
  if (o.sendBufferSize !== undefined) u32(0x03, o.sendBufferSize);
  if (o.receiveBufferSize !== undefined) u32(0x04, o.receiveBufferSize);
  if (o.dnsQueryType !== undefined) out.push(0x05, 1, o.dnsQueryType === "ipv6" ? 6 : 4);
  if (o.connectTimeout !== undefined) u32(0x06, o.connectTimeout);
  if (o.idleTimeout !== undefined) u32(0x07, o.idleTimeout);
  return new Uint8Array(out);
}

function checkBufferSizes(options) {
  for (const key of ["sendBufferSize", "receiveBufferSize"]) {
    if (options[key] !== undefined && !(options[key] > 0)) throw new TypeError(key + " must be greater than 0");
  }
  if (options.dnsQueryType !== undefined && !["ipv4", "ipv6"].includes(options.dnsQueryType)) {
    throw new TypeError("dnsQueryType must be \"ipv4\" or \"ipv6\"");
  }
}

/** What a socket of either kind shares: its stream on the session, opened/closed, incoming packets. */
class StreamBase {
  constructor(type, host, port, options) {
    this.type = type;
    this.credit = 0;
    this.waiters = [];
    this.closedSettled = false;
    this.opened = new Promise((res, rej) => { this.resolveOpened = res; this.rejectOpened = rej; });
    this.closed = new Promise((res, rej) => { this.resolveClosed = res; this.rejectClosed = rej; });
    this.closed.catch(() => {});
    const url = options.url || wispUrl();
    Session.get(url).ready.then((session) => {
      this.session = session;
      this.credit = session.buffer;
      this.id = session.open(this, type, host, port, options);
    }, (e) => this.fail(e));
  }

  fail(error) {
    this.rejectOpened(error);
    this.finish(error);
  }

  finish(error) {
    if (this.closedSettled) return;
    this.closedSettled = true;
    if (error) this.rejectClosed(error); else this.resolveClosed();
    for (const w of this.waiters.splice(0)) w();
  }

  packet(type, b, v) {
    if (type === OPENED) {
      const remotePort = v.getUint16(5, true), localPort = v.getUint16(7, true), rlen = v.getUint8(9);
      const dec = new TextDecoder();
      const remoteAddress = dec.decode(b.subarray(10, 10 + rlen));
      const localAddress = dec.decode(b.subarray(10 + rlen));
      this.resolveOpened(this.openedInfo({ remoteAddress, remotePort, localAddress, localPort }));
    } else if (type === DATA) {
      this.data(b.slice(5));
    } else if (type === CONTINUE) {
      this.credit = v.getUint32(5, true);
      for (const w of this.waiters.splice(0)) w();
    } else if (type === END) {
      this.ended();
    } else if (type === CLOSE) {
      this.session.streams.delete(this.id);
      this.onClose(b[5]);
    }
  }

  /** Sends one DATA packet once there is credit (TCP) and the WebSocket has room. */
  async sendData(chunk) {
    while (this.type === 1 && this.credit <= 0 && !this.closedSettled) {
      await new Promise((r) => this.waiters.push(r));
    }
    if (this.closedSettled) throw new DOMException("the socket is closed", "NetworkError");
    await this.session.drained();
    const p = packet(DATA, this.id, chunk.length);
    p.bytes.set(chunk, 5);
    this.session.send(p.bytes);
    this.credit--;
  }

  sendEnd() {
    if (!this.closedSettled && this.session) this.session.send(packet(END, this.id, 0).bytes);
  }

  sendClose() {
    if (this.closedSettled || !this.session) return;
    const p = packet(CLOSE, this.id, 1);
    p.view.setUint8(5, 0x02);
    this.session.send(p.bytes);
    this.session.streams.delete(this.id);
  }
}

/** A TCP connection (the draft's TCPSocket): readable and writable byte streams, half-close on writable.close(). */
export class TCPSocket extends StreamBase {
  constructor(remoteAddress, remotePort, options = {}) {
    if (options.keepAliveDelay !== undefined && options.keepAliveDelay < 1000) {
      throw new TypeError("keepAliveDelay must be at least 1000 ms");
    }
    checkBufferSizes(options);
    super(1, String(remoteAddress), Number(remotePort), options);
    this.readableClosed = false;
    this.writableClosed = false;
  }

  openedInfo(addresses) {
    const self = this;
    this.readable = new ReadableStream({
      start(controller) { self.controller = controller; },
      cancel() { self.readableClosed = true; self.maybeClose(); },
    });
    this.writable = new WritableStream({
      async write(chunk) {
        const bytes = chunk instanceof Uint8Array ? chunk : new Uint8Array(ArrayBuffer.isView(chunk) ? chunk.buffer : chunk);
        for (let o = 0; o < bytes.length; o += MAX_PACKET) await self.sendData(bytes.subarray(o, o + MAX_PACKET));
      },
      close() { self.writableClosed = true; self.sendEnd(); },
      abort() { self.writableClosed = true; self.sendEnd(); },
    });
    return { readable: this.readable, writable: this.writable, ...addresses };
  }

  data(bytes) {
    if (!this.readableClosed) this.controller.enqueue(bytes);
  }

  ended() {
    if (!this.readableClosed) {
      this.readableClosed = true;
      this.controller.close();
    }
  }

  onClose(reason) {
    if (!this.controller) {
      this.fail(errorFor(reason));
      return;
    }
    const error = reason === 0x02 ? null : errorFor(reason);
    if (!this.readableClosed) {
      this.readableClosed = true;
      if (error) this.controller.error(error); else this.controller.close();
    }
    this.finish(error);
  }

  maybeClose() {
    if (this.readableClosed && this.writableClosed) this.close();
  }

  /** Closes both directions (the draft's close(): a full close, not a half-close). */
  async close() {
    this.sendClose();
    this.finish(null);
    return this.closed;
  }
}

/** A connected-mode UDP socket (the draft's UDPSocket with remoteAddress/remotePort): messages are {data}. */
export class UDPSocket extends StreamBase {
  constructor(options = {}) {
    if (options.localAddress !== undefined || options.localPort !== undefined) {
      throw new TypeError("only connected mode (remoteAddress, remotePort) is available through the gateway");
    }
    if (options.remoteAddress === undefined || options.remotePort === undefined) {
      throw new TypeError("remoteAddress and remotePort are required");
    }
    checkBufferSizes(options);
    super(2, String(options.remoteAddress), Number(options.remotePort), options);
  }

  openedInfo(addresses) {
    const self = this;
    this.readable = new ReadableStream({
      start(controller) { self.controller = controller; },
      cancel() { self.close(); },
    });
    this.writable = new WritableStream({
      async write(message) {
        const d = message.data;
        await self.sendData(d instanceof Uint8Array ? d : new Uint8Array(ArrayBuffer.isView(d) ? d.buffer : d));
      },
      close() { self.close(); },
      abort() { self.close(); },
    });
    return { readable: this.readable, writable: this.writable, ...addresses };
  }

  data(bytes) {
    if (this.controller && !this.finished) this.controller.enqueue({ data: bytes });
  }

  ended() {}

  onClose(reason) {
    if (!this.controller) {
      this.fail(errorFor(reason));
      return;
    }
    const error = reason === 0x02 ? null : errorFor(reason);
    if (error) this.controller.error(error); else this.controller.close();
    this.finish(error);
  }

  async close() {
    this.sendClose();
    this.finished = true;
    try { this.controller && this.controller.close(); } catch (e) { /* already closed */ }
    this.finish(null);
    return this.closed;
  }
}
