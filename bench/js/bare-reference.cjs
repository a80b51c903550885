// The reference Bare server for the bench: @tomphttp/bare-server-node 2.0.6 (testing/npm, on NODE_PATH) at
// /bare/ on 127.0.0.1:PORT, with loopback origins allowed and its always-on limiter raised out of the way.
// usage: node bare-reference.cjs PORT
'use strict';
const http = require('node:http');
const { createBareServer } = require('@tomphttp/bare-server-node');

const port = Number(process.argv[2]);
const bare = createBareServer('/bare/', {
  blockLocal: false,
  connectionLimiter: { maxConnectionsPerIP: 1e9, windowDuration: 60, blockDuration: 1 },
});
const server = http.createServer((req, res) => {
  if (bare.shouldRoute(req)) {
    bare.routeRequest(req, res);
  } else {
    res.writeHead(400);
    res.end('Not found.');
  }
});
server.on('upgrade', (req, socket, head) => {
  if (bare.shouldRoute(req)) {
    bare.routeUpgrade(req, socket, head);
  } else {
    socket.end();
  }
});
server.listen(port, '127.0.0.1');
