import type { AddressInfo } from 'node:net';
import { buildCredential, parseChallenges } from '@farebox/core';
import { DevNode } from '@farebox/lightning';
import express from 'express';
import { afterAll, describe, expect, it } from 'vitest';
import { l402 } from '../src/adapters/express.js';
import { writeResponse } from '../src/adapters/node.js';
import { Paywall, type PaywallOptions } from '../src/index.js';
import { conformance, type Start } from './conformance.js';

/** The web handler as an Express route: its body comes from `req.body`, as a user's route would read it. */
function listen(app: express.Express): Promise<{ url: string; close(): Promise<void> }> {
  return new Promise((resolve) => {
    const server = app.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({
        url: `http://127.0.0.1:${port}`,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}

const start: Start = async (opts, handler) => {
  const app = express();
  app.use(l402(new Paywall(opts)));
  app.use(async (req, res) => {
    const body: BodyInit | undefined =
      req.body === undefined
        ? undefined
        : Buffer.isBuffer(req.body)
          ? new Uint8Array(req.body)
          : JSON.stringify(req.body);
    const request = new Request(`http://${req.headers.host}${req.originalUrl}`, {
      method: req.method,
      headers: req.headers as Record<string, string>,
      ...(body === undefined ? {} : { body }),
    });
    await writeResponse(res, await handler(request, req.l402?.receipt ? { receipt: req.l402.receipt } : {}));
  });
  return listen(app);
};

conformance('express adapter', start);

describe('express adapter: body and settling', () => {
  const node = new DevNode({ production: false });
  afterAll(() => node.close());
  const options = (): PaywallOptions => ({
    secret: new Uint8Array(32).fill(9),
    lightning: node,
    routes: [
      { method: 'POST', path: '/free', free: true },
      { method: 'POST', path: '/echo', price: 3 },
      { method: 'GET', path: '/boom', price: 1 },
      { method: 'GET', path: '/hang', price: 1 },
    ],
  });
  async function pay(res: Response): Promise<string> {
    const [c] = parseChallenges(res.headers.get('www-authenticate') ?? '');
    return buildCredential({ macaroon: c!.macaroon, preimage: (await node.payInvoice(c!.invoice)).preimage });
  }
  async function withApp(setup: (app: express.Express) => void, run: (url: string) => Promise<void>) {
    const app = express();
    setup(app);
    const s = await listen(app);
    try {
      await run(s.url);
    } finally {
      await s.close();
    }
  }
  const json = (url: string, body: string, auth?: string) =>
    fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(auth ? { authorization: auth } : {}) },
      body,
    });

  it('a paid JSON body is parsed into req.body; express.json() after l402() is harmless', async () => {
    await withApp(
      (app) => {
        app.use(l402(new Paywall(options())));
        app.use(express.json());
        app.post('/echo', (req, res) => {
          res.json({ body: req.body, paid: req.l402?.receipt?.amountMsat.toString() });
        });
      },
      async (url) => {
        const auth = await pay(await json(`${url}/echo`, '{"a":1}'));
        const r = await json(`${url}/echo`, '{"a":1}', auth);
        expect(await r.json()).toEqual({ body: { a: 1 }, paid: '3000' });
      },
    );
  });

  it('other bodies arrive as a Buffer, also on free routes and routes the paywall does not price', async () => {
    await withApp(
      (app) => {
        app.use(l402(new Paywall(options())));
        app.post(['/free', '/elsewhere'], (req, res) => {
          res.json({ isBuffer: Buffer.isBuffer(req.body), text: String(req.body), l402: req.l402 });
        });
      },
      async (url) => {
        for (const path of ['/free', '/elsewhere']) {
          const r = await fetch(`${url}${path}`, { method: 'POST', body: 'hello' });
          expect(await r.json()).toEqual({ isBuffer: true, text: 'hello', l402: { free: false } });
        }
      },
    );
  });

  it('with express.json() first, the parsed body stands in for the stream (JSON binds as canonical JSON)', async () => {
    await withApp(
      (app) => {
        app.use(express.json());
        app.use(l402(new Paywall(options())));
        app.post('/echo', (req, res) => {
          res.json({ body: req.body });
        });
      },
      async (url) => {
        const auth = await pay(await json(`${url}/echo`, '{"b":2}'));
        expect((await json(`${url}/echo`, '{"b":3}', auth)).status).toBe(401);
        expect(await (await json(`${url}/echo`, '{ "b": 2 }', auth)).json()).toEqual({ body: { b: 2 } });
      },
    );
  });

  it('an error passed to next(err) (Express answers 500) releases the use', async () => {
    let fail = true;
    await withApp(
      (app) => {
        app.use(l402(new Paywall(options())));
        app.get('/boom', (_req, res) => {
          if (fail) throw new Error('handler broke');
          res.send('ok');
        });
        app.use(
          (_err: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
            res.status(500).send('broke');
          },
        );
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
      (app) => {
        app.use(l402(new Paywall(options())));
        app.get('/hang', (_req, res) => {
          if (!hang) return void res.send('ok');
          res.on('close', () => setTimeout(closed, 20));
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
