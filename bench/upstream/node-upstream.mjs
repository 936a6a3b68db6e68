// The Node fallback of the benchmark upstream (used only when Go is missing): every path
// answers 200 with the same short JSON body as main.go.
//   node node-upstream.mjs 127.0.0.1:9000
import { createServer } from 'node:http';

const [host, port] = (process.argv[2] ?? '127.0.0.1:0').split(':');
const body = Buffer.from('{"ok":true,"joke":"a farebox bench answer"}');
const server = createServer((_req, res) => {
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
  res.end(body);
});
server.keepAliveTimeout = 65_000;
server.listen(Number(port), host);
