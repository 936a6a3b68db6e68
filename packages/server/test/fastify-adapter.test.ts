import { buildCredential, parseChallenges } from '@farebox/core';
import { DevNode } from '@farebox/lightning';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, describe, expect, it } from 'vitest';
import { l402 } from '../src/adapters/fastify.js';
import { Paywall, type PaywallOptions } from '../src/index.js';
import { conformance, type Start } from './conformance.js';

async function listen(app: FastifyInstance): Promise<{ url: string; close(): Promise<void> }> {
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  return { url, close: () => app.close() };
}

/** The web handler as a Fastify route: its body comes from `request.body`, as a user's route would read it. */
const start: Start = async (opts, handler) => {
  const app = Fastify({ forceCloseConnections: true });
  await app.register(l402(new Paywall(opts)));
  app.all('/*', async (request, reply) => {
    const body = request.body === undefined ? undefined : JSON.stringify(request.body);
    const req = new Request(`http://${request.headers.host}${request.url}`, {
      method: request.method,
      headers: request.headers as Record<string, string>,
      ...(body === undefined ? {} : { body }),
    });
    return reply.send(await handler(req, request.l402?.receipt ? { receipt: request.l402.receipt } : {}));
  });
  return listen(app);
};

conformance('fastify adapter', start);

describe('fastify adapter: body and settling', () => {
  const node = new DevNode({ production: false });
  afterAll(() => node.close());
  const options = (): PaywallOptions => ({
    secret: new Uint8Array(32).fill(9),
    lightning: node,
    routes: [
      { method: 'POST', path: '/echo', price: 3 },
      { method: 'GET', path: '/boom', price: 1 },
      { method: 'GET', path: '/hang', price: 1 },
      { method: 'GET', path: '/api/*', price: 1 },
    ],
  });
  async function pay(res: Response): Promise<string> {
    const [c] = parseChallenges(res.headers.get('www-authenticate') ?? '');
    return buildCredential({ macaroon: c!.macaroon, preimage: (await node.payInvoice(c!.invoice)).preimage });
  }
  async function withApp(
    setup: (app: FastifyInstance) => Promise<void>,
    run: (url: string) => Promise<void>,
  ) {
    const app = Fastify({ forceCloseConnections: true });
    await setup(app);
    const s = await listen(app);
    try {
      await run(s.url);
    } finally {
      await s.close();
    }
  }

  it('Fastify parses the paid body itself (its own parsers, bodyLimit and schemas apply)', async () => {
    await withApp(
      async (app) => {
        await app.register(l402(new Paywall(options())));
        app.post('/echo', { bodyLimit: 64 }, async (request) => ({
          body: request.body,
          paid: request.l402?.receipt?.amountMsat.toString(),
        }));
        app.post('/plain', async (request) => ({ body: request.body, l402: request.l402 }));
      },
      async (url) => {
        const post = (path: string, body: string, headers: Record<string, string> = {}) =>
          fetch(`${url}${path}`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', ...headers },
            body,
          });
        const auth = await pay(await post('/echo', '{"a":1}'));
        expect(await (await post('/echo', '{"a":1}', { authorization: auth })).json()).toEqual({
          body: { a: 1 },
          paid: '3000',
        });
        const big = `{"a":"${'x'.repeat(100)}"}`;
        const authBig = await pay(await post('/echo', big));
        expect((await post('/echo', big, { authorization: authBig })).status).toBe(413);
        const r = await fetch(`${url}/plain`, {
          method: 'POST',
          headers: { 'content-type': 'text/plain' },
          body: 'hi',
        });
        expect(await r.json()).toEqual({ body: 'hi', l402: { free: false } });
      },
    );
  });

  it('registered in a prefixed scope, it prices only that scope', async () => {
    await withApp(
      async (app) => {
        await app.register(
          async (api) => {
            await api.register(l402(new Paywall(options())));
            api.get('/thing', async () => 'paid');
          },
          { prefix: '/api' },
        );
        app.get('/open/thing', async () => 'open');
      },
      async (url) => {
        expect((await fetch(`${url}/api/thing`)).status).toBe(402);
        expect((await fetch(`${url}/open/thing`)).status).toBe(200);
      },
    );
  });

  it('a thrown error (Fastify answers 500) releases the use', async () => {
    let fail = true;
    await withApp(
      async (app) => {
        await app.register(l402(new Paywall(options())));
        app.get('/boom', async () => {
          if (fail) throw new Error('handler broke');
          return 'ok';
        });
      },
      async (url) => {
        const auth = await pay(await fetch(`${url}/boom`));
        expect((await fetch(`${url}/boom`, { headers: { authorization: auth } })).status).toBe(500);
        fail = false;
        expect((await fetch(`${url}/boom`, { headers: { authorization: auth } })).status).toBe(200);
        expect((await fetch(`${url}/boom`, { headers: { authorization: auth } })).status).toBe(402);
      },
    );
  });

  it('a connection closed before the response ends releases the use', async () => {
    let hang = true;
    let closed!: () => void;
    const wasClosed = new Promise<void>((r) => {
      closed = r;
    });
    await withApp(
      async (app) => {
        await app.register(l402(new Paywall(options())));
        app.get('/hang', (_request, reply) => {
          if (!hang) return void reply.send('ok');
          reply.raw.on('close', () => setTimeout(closed, 20));
        });
      },
      async (url) => {
        const auth = await pay(await fetch(`${url}/hang`));
        const ctrl = new AbortController();
        const first = fetch(`${url}/hang`, { headers: { authorization: auth }, signal: ctrl.signal });
        await new Promise((r) => setTimeout(r, 100));
        ctrl.abort();
        await expect(first).rejects.toThrow();
        await wasClosed;
        hang = false;
        expect((await fetch(`${url}/hang`, { headers: { authorization: auth } })).status).toBe(200);
      },
    );
  });
});
