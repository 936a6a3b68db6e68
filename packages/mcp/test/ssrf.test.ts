/**
 * The SSRF guard on real loopback servers; names resolve through a stub, so no test ever
 * connects anywhere but 127.0.0.1.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGuardedFetch, type ResolveHost } from '../src/ssrf.js';

async function start(handler: (req: IncomingMessage, res: ServerResponse) => void) {
  const server: Server = createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

const refused = { code: 'HOST_NOT_ALLOWED' };

describe('createGuardedFetch', () => {
  let a: Awaited<ReturnType<typeof start>>;
  let b: Awaited<ReturnType<typeof start>>;
  beforeAll(async () => {
    b = await start((req, res) => {
      res.setHeader('connection', 'close');
      res.end(JSON.stringify({ host: req.headers.host, authorization: req.headers.authorization ?? null }));
    });
    a = await start((req, res) => {
      res.setHeader('connection', 'close');
      const u = new URL(req.url ?? '/', 'http://x');
      if (u.pathname === '/to-private') return res.writeHead(302, { location: 'http://10.9.8.7/' }).end();
      if (u.pathname === '/to-other')
        return res.writeHead(307, { location: `http://other.test:${b.port}/x` }).end();
      if (u.pathname === '/to-self') return res.writeHead(302, { location: '/echo' }).end();
      if (u.pathname === '/gzip') {
        res.setHeader('content-encoding', 'gzip');
        return res.end(gzipSync('{"zipped":true}'));
      }
      res.end(JSON.stringify({ host: req.headers.host, authorization: req.headers.authorization ?? null }));
    });
  });
  afterAll(async () => {
    await a.close();
    await b.close();
  });

  it('refuses private, loopback and metadata literals before connecting', async () => {
    const f = createGuardedFetch();
    for (const url of [
      `http://127.0.0.1:${a.port}/`,
      'http://[::1]:9/',
      'http://10.0.0.1/',
      'http://169.254.169.254/latest/meta-data/',
      'http://0.0.0.0:9/',
      'http://[::ffff:7f00:1]:9/',
      'http://100.64.0.1/',
      'http://2130706433/', // 127.0.0.1 as one number
    ]) {
      await expect(f(url), url).rejects.toMatchObject(refused);
    }
    await expect(f('ftp://example.com/')).rejects.toMatchObject({ ...refused, data: { reason: 'scheme' } });
    f.close();
  });

  it('checks every address a name resolves to', async () => {
    const resolve: ResolveHost = async (h) =>
      h === 'mixed.test'
        ? [
            { address: '93.184.216.34', family: 4 },
            { address: '192.168.0.10', family: 4 },
          ]
        : [{ address: 'fd00::5', family: 6 }];
    const f = createGuardedFetch({ resolve });
    await expect(f('http://mixed.test/')).rejects.toMatchObject({
      ...refused,
      data: { addressClass: 'private' },
    });
    await expect(f('https://ula.test/')).rejects.toMatchObject({
      ...refused,
      data: { addressClass: 'unique-local' },
    });
    f.close();
  });

  it('the system resolver: localhost is loopback', async () => {
    const f = createGuardedFetch();
    await expect(f(`http://localhost:${a.port}/`)).rejects.toMatchObject(refused);
    f.close();
    const open = createGuardedFetch({ allowPrivateNetworks: true });
    expect((await (await open(`http://localhost:${a.port}/`)).json()).host).toBe(`localhost:${a.port}`);
    open.close();
  });

  it('checks at connect time: a name rebound to a private address is refused on the next connection', async () => {
    let calls = 0;
    const resolve: ResolveHost = async () => {
      calls++;
      return [{ address: calls === 1 ? '127.0.0.1' : '10.0.0.1', family: 4 }];
    };
    const f = createGuardedFetch({ resolve, allowAddresses: ['127.0.0.1'] });
    const first = await f(`http://rebind.test:${a.port}/`);
    expect((await first.json()).host).toBe(`rebind.test:${a.port}`);
    await expect(f(`http://rebind.test:${a.port}/`)).rejects.toMatchObject({
      ...refused,
      data: { host: 'rebind.test', addressClass: 'private' },
    });
    expect(calls).toBe(2);
    f.close();
  });

  it('re-checks redirects, and drops Authorization when a redirect leaves the origin', async () => {
    const resolve: ResolveHost = async () => [{ address: '127.0.0.1', family: 4 }];
    const f = createGuardedFetch({ resolve, allowAddresses: ['127.0.0.1'] });
    await expect(f(`http://127.0.0.1:${a.port}/to-private`)).rejects.toMatchObject(refused);
    const auth = { headers: { authorization: 'L402 mac:00' } };
    const same = await (await f(`http://127.0.0.1:${a.port}/to-self`, auth)).json();
    expect(same.authorization).toBe('L402 mac:00');
    const other = await f(`http://127.0.0.1:${a.port}/to-other`, auth);
    expect(other.url).toBe(`http://other.test:${b.port}/x`);
    expect(await other.json()).toEqual({ host: `other.test:${b.port}`, authorization: null });
    const manual = await f(`http://127.0.0.1:${a.port}/to-private`, { redirect: 'manual' });
    expect(manual.status).toBe(302);
    f.close();
  });

  it('decodes gzip bodies', async () => {
    const f = createGuardedFetch({ allowPrivateNetworks: true });
    const res = await f(`http://127.0.0.1:${a.port}/gzip`);
    expect(res.headers.get('content-encoding')).toBeNull();
    expect(await res.json()).toEqual({ zipped: true });
    f.close();
  });
});
