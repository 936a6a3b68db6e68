// A minimal Node reverse proxy with no paywall: the floor a Node gateway stands on. Same
// keep-alive agent settings as the farebox gateway; used as a reference row.
//   node node-proxy.mjs <listen host:port> <upstream host:port>
import http from 'node:http';

const [listen, upstream] = process.argv.slice(2);
const [host, port] = listen.split(':');
const [uHost, uPort] = upstream.split(':');
const agent = new http.Agent({ keepAlive: true, maxSockets: 512, maxFreeSockets: 256 });
const server = http.createServer((req, res) => {
  const headers = { ...req.headers, host: upstream };
  delete headers.authorization;
  delete headers.connection;
  const up = http.request({
    hostname: uHost,
    port: Number(uPort),
    method: req.method,
    path: req.url,
    headers,
    agent,
  });
  up.on('response', (ur) => {
    res.writeHead(ur.statusCode ?? 502, ur.headers);
    ur.pipe(res);
  });
  up.on('error', () => {
    res.writeHead(502).end();
  });
  req.pipe(up);
});
server.keepAliveTimeout = 65_000;
server.listen(Number(port), host);
