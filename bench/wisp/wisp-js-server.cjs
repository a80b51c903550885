// The npm @mercuryworkshop/wisp-js 0.5.0 server on 127.0.0.1 for the Wisp benchmark (loopback targets
// allowed, as the gateway is configured for the same runs). usage: node wisp-js-server.cjs PORT
'use strict';
const http = require('http');
const { server: wisp, logging } = require('@mercuryworkshop/wisp-js/server');
logging.set_level(logging.NONE);
wisp.options.allow_loopback_ips = true;
wisp.options.allow_private_ips = true;
const s = http.createServer((req, res) => res.end('wisp'));
s.on('upgrade', (req, socket, head) => wisp.routeRequest(req, socket, head));
s.listen(Number(process.argv[2]), '127.0.0.1', () => console.log('listening'));
