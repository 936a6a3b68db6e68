/**
 * Connection strings (`src/connection.ts`, docs/lightning.md "Connection strings"): every
 * documented scheme parses to its backend config; malformed ones are LN_BAD_CONFIG without
 * the secret; `redactConnection` hides each scheme's secret; `openBackend` opens CLN,
 * Phoenixd and Blink against the local servers of the *.mock-server tests and makes a call.
 */
import { decodeInvoice, type FareboxError } from '@farebox/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BackendConfig, parseConnection, redactConnection } from '../src/connection.js';
import { DevNode } from '../src/dev-node.js';
import { devNodeHandler } from '../src/dev-node-remote.js';
import { listen, openBackend } from '../src/node/index.js';
import type { InvoiceIssuer, LightningBackend, Payer } from '../src/types.js';
import { sats } from '../src/types.js';
import { MockBlink } from './support/mock-blink.js';
import { MockCln } from './support/mock-cln.js';
import { expectNoSecret } from './support/mock-common.js';
import { MockPhoenixd } from './support/mock-phoenixd.js';

// Secrets shaped as each backend's are (hex macaroon, base64url rune, hex keys and passwords).
const MACAROON = `0201036c6e6402f801030a10${'ab'.repeat(40)}`;
const RUNE = 'tU-RLjMiDpY2U0o3W1oFowar36RFGpWloPbW9-RuZdo9MyZpZD0wMjRiZTVlOGU3NWYyY2RlNWMwOTQ3Y2FjMmQz';
const LNBITS_KEY = '3b1f5c9e2a7d4f8b6c0e1d2a3b4c5d6e';
const NWC_SECRET = '71a8c14c1407c113601079c4302dab36460f0ccd0ad506f1f2dc73b5100e4f3c';
const NWC_PUBKEY = 'b889ff5b1513b641e2a139f661a661364979c5beee91842f8f0ef42ab558e9d4';
const PHOENIX_PASSWORD = '8f3c1d9e0b7a4f6c2e5d8b1a3f7c9e0d4b6a2c8e1f5d7b9a3c0e2f4a6b8d1c3e';
const PHOENIX_LIMITED = '1b2c3d4e5f60718293a4b5c6d7e8f9012a3b4c5d6e7f8091a2b3c4d5e6f70819';
const BLINK_KEY = 'blink_7xQm2pLr9VtKc4Wn8Hs3Df6Gj1Bz5Ya0Ue2Io4Py7Ta9Rk3Mv';
const DEV_TOKEN = 'dev-token-5e1c0a7b9d3f';
const WALLET_ID = 'f3a9c1d2-6b7e-4a5f-8c9d-0e1f2a3b4c5d';

const SECRETS = [MACAROON, RUNE, LNBITS_KEY, NWC_SECRET, PHOENIX_PASSWORD, BLINK_KEY, DEV_TOKEN];

function thrown(f: () => unknown): FareboxError {
  try {
    f();
  } catch (e) {
    return e as FareboxError;
  }
  throw new Error('expected a throw');
}

describe('parseConnection: every documented scheme', () => {
  const nwc = `nostr+walletconnect://${NWC_PUBKEY}?relay=wss://relay.example.com&secret=${NWC_SECRET}`;
  const cases: [string, BackendConfig][] = [
    ['dev', { type: 'dev' }],
    [
      `dev+http://127.0.0.1:9737?token=${DEV_TOKEN}`,
      { type: 'dev', url: 'http://127.0.0.1:9737', token: DEV_TOKEN },
    ],
    ['dev+http://127.0.0.1:9737', { type: 'dev', url: 'http://127.0.0.1:9737' }],
    [
      `lnd+rest://node.example.com:8080?macaroon=${MACAROON}&cert=/home/me/.lnd/tls.cert`,
      {
        type: 'lnd',
        transport: 'rest',
        host: 'node.example.com:8080',
        macaroon: MACAROON,
        cert: '/home/me/.lnd/tls.cert',
      },
    ],
    [
      'lnd://127.0.0.1:8080?macaroon=/home/me/.lnd/admin.macaroon',
      { type: 'lnd', transport: 'rest', host: '127.0.0.1:8080', macaroon: '/home/me/.lnd/admin.macaroon' },
    ],
    [
      `lnd+grpc://node.example.com:10009?macaroon=${MACAROON}&cert=/tls.cert`,
      {
        type: 'lnd',
        transport: 'grpc',
        host: 'node.example.com:10009',
        macaroon: MACAROON,
        cert: '/tls.cert',
      },
    ],
    [
      `lnbits://legend.lnbits.com?key=${LNBITS_KEY}`,
      { type: 'lnbits', url: 'https://legend.lnbits.com', key: LNBITS_KEY },
    ],
    [
      `lnbits+http://127.0.0.1:5000?key=${LNBITS_KEY}`,
      { type: 'lnbits', url: 'http://127.0.0.1:5000', key: LNBITS_KEY },
    ],
    [
      `lnbits://127.0.0.1:5000?key=${LNBITS_KEY}&tls=0`,
      { type: 'lnbits', url: 'http://127.0.0.1:5000', key: LNBITS_KEY },
    ],
    [nwc, { type: 'nwc', uri: nwc }],
    [
      `cln+rest://node.example.com:3010?rune=${RUNE}&cert=/cln/ca.pem`,
      { type: 'cln', url: 'https://node.example.com:3010', rune: RUNE, cert: '/cln/ca.pem' },
    ],
    [`cln+http://127.0.0.1:3010?rune=${RUNE}`, { type: 'cln', url: 'http://127.0.0.1:3010', rune: RUNE }],
    [
      `phoenixd://127.0.0.1:9740?password=${PHOENIX_PASSWORD}`,
      { type: 'phoenixd', url: 'http://127.0.0.1:9740', password: PHOENIX_PASSWORD },
    ],
    [
      `phoenixd+https://phoenix.example.com?password=${PHOENIX_PASSWORD}`,
      { type: 'phoenixd', url: 'https://phoenix.example.com', password: PHOENIX_PASSWORD },
    ],
    [
      `blink://api.blink.sv/graphql?key=${BLINK_KEY}&wallet=${WALLET_ID}`,
      { type: 'blink', url: 'https://api.blink.sv/graphql', apiKey: BLINK_KEY, walletId: WALLET_ID },
    ],
    [
      `blink://api.blink.sv?key=${BLINK_KEY}`,
      { type: 'blink', url: 'https://api.blink.sv/graphql', apiKey: BLINK_KEY },
    ],
    [
      `blink+http://127.0.0.1:4002/graphql?key=${BLINK_KEY}`,
      { type: 'blink', url: 'http://127.0.0.1:4002/graphql', apiKey: BLINK_KEY },
    ],
  ];

  it.each(cases)('%s', (s, expected) => {
    expect(parseConnection(s)).toEqual(expected);
    // Surrounding whitespace (a pasted value, an .env line) does not matter.
    expect(parseConnection(`  ${s}\n`)).toEqual(expected);
  });

  it('percent-encoded values (a PEM certificate in the string) are decoded', () => {
    const pem = '-----BEGIN CERTIFICATE-----\nMIIB+/x=\n-----END CERTIFICATE-----\n';
    const cfg = parseConnection(
      `lnd+rest://h:8080?macaroon=${MACAROON}&cert=${encodeURIComponent(pem)}`,
    ) as Extract<BackendConfig, { type: 'lnd' }>;
    expect(cfg.cert).toBe(pem);
    expect(cfg.macaroon).toBe(MACAROON);
  });
});

describe('parseConnection: malformed strings are LN_BAD_CONFIG, and never show the secret', () => {
  const cases: [string, string, RegExp][] = [
    ['', '', /empty/],
    ['   ', '', /empty/],
    [`lnd+rest://node:8080?cert=/tls.cert`, '', /needs \?macaroon=/],
    [`lnd+rest://node:8080?macaroon=`, '', /needs \?macaroon=/],
    [`lnd+rest://?macaroon=${MACAROON}`, MACAROON, /host/],
    [`lnd+grpc://?macaroon=${MACAROON}`, MACAROON, /host/],
    ['lnbits://legend.lnbits.com', '', /needs \?key=/],
    [`lnbits://?key=${LNBITS_KEY}`, LNBITS_KEY, /needs a host/],
    [`lnbits://node:99999?key=${LNBITS_KEY}`, LNBITS_KEY, /not a URL/],
    [`lnbits://no de?key=${LNBITS_KEY}`, LNBITS_KEY, /not a URL/],
    [`nostr+walletconnect://${NWC_PUBKEY}?secret=${NWC_SECRET}`, NWC_SECRET, /needs \?relay=/],
    [`nostr+walletconnect://${NWC_PUBKEY}?relay=wss://relay.example.com`, '', /needs \?secret=/],
    ['cln+rest://node:3010?cert=/ca.pem', '', /needs \?rune=/],
    [`cln+rest://?rune=${RUNE}`, RUNE, /needs a host/],
    ['phoenixd://127.0.0.1:9740', '', /needs \?password=/],
    [`phoenixd://?password=${PHOENIX_PASSWORD}`, PHOENIX_PASSWORD, /needs a host/],
    [`phoenixd://:${PHOENIX_PASSWORD}@127.0.0.1:9740`, PHOENIX_PASSWORD, /needs \?password=/],
    [`blink://api.blink.sv?wallet=${WALLET_ID}`, '', /needs \?key=/],
    [`blink://?key=${BLINK_KEY}`, BLINK_KEY, /needs a host/],
    [`dev+http://?token=${DEV_TOKEN}`, DEV_TOKEN, /needs a host/],
    [`lndconnect://node:10009?macaroon=${MACAROON}`, MACAROON, /unknown scheme lndconnect/],
    [`https://legend.lnbits.com?key=${LNBITS_KEY}`, LNBITS_KEY, /unknown scheme https/],
  ];

  it.each(cases)('%j', (s, secret, message) => {
    const e = thrown(() => parseConnection(s));
    expect(e.code).toBe('LN_BAD_CONFIG');
    expect(e.message).toMatch(message);
    for (const x of SECRETS) expectNoSecret(e, x);
    if (secret) expectNoSecret(e, secret);
  });

  it('a non-string is LN_BAD_CONFIG', () => {
    expect(thrown(() => parseConnection(undefined as unknown as string)).code).toBe('LN_BAD_CONFIG');
  });

  // The message names the scheme only when the text starts with one: a forgotten ":" once
  // made it echo the whole string, secret included.
  it('a string that is not a URL at all (the ":" forgotten) does not echo its secret', () => {
    const e = thrown(() => parseConnection(`lnbits//legend.lnbits.com?key=${LNBITS_KEY}`));
    expect(e.code).toBe('LN_BAD_CONFIG');
    expect(e.message).not.toContain(LNBITS_KEY);
  });
});

describe('redactConnection hides the secret of each scheme, and keeps the rest', () => {
  const cases: [string, string, Partial<Record<string, unknown>>][] = [
    [`dev+http://127.0.0.1:9737?token=${DEV_TOKEN}`, DEV_TOKEN, { url: 'http://127.0.0.1:9737' }],
    [
      `lnd+rest://node:8080?macaroon=${MACAROON}&cert=/tls.cert`,
      MACAROON,
      { transport: 'rest', host: 'node:8080', cert: '/tls.cert' },
    ],
    [`lnd+grpc://node:10009?macaroon=${MACAROON}`, MACAROON, { transport: 'grpc', host: 'node:10009' }],
    [`lnd://node:8080?macaroon=${MACAROON}`, MACAROON, { transport: 'rest' }],
    [`lnbits://legend.lnbits.com?key=${LNBITS_KEY}`, LNBITS_KEY, { url: 'https://legend.lnbits.com' }],
    [`lnbits+http://127.0.0.1:5000?key=${LNBITS_KEY}`, LNBITS_KEY, { url: 'http://127.0.0.1:5000' }],
    [
      `nostr+walletconnect://${NWC_PUBKEY}?relay=wss://relay.example.com&secret=${NWC_SECRET}`,
      NWC_SECRET,
      {},
    ],
    [`cln+rest://node:3010?rune=${RUNE}&cert=/ca.pem`, RUNE, { url: 'https://node:3010', cert: '/ca.pem' }],
    [`cln+http://127.0.0.1:3010?rune=${RUNE}`, RUNE, { url: 'http://127.0.0.1:3010' }],
    [
      `phoenixd://127.0.0.1:9740?password=${PHOENIX_PASSWORD}`,
      PHOENIX_PASSWORD,
      { url: 'http://127.0.0.1:9740' },
    ],
    [`phoenixd+https://phoenix.example.com?password=${PHOENIX_PASSWORD}`, PHOENIX_PASSWORD, {}],
    [
      `blink://api.blink.sv/graphql?key=${BLINK_KEY}&wallet=${WALLET_ID}`,
      BLINK_KEY,
      { url: 'https://api.blink.sv/graphql', walletId: WALLET_ID },
    ],
    [
      `blink+http://127.0.0.1:4002/graphql?key=${BLINK_KEY}`,
      BLINK_KEY,
      { url: 'http://127.0.0.1:4002/graphql' },
    ],
  ];

  it.each(cases)('%s', (s, secret, kept) => {
    const r = redactConnection(s);
    expect(r).not.toContain(secret);
    expect(r).toContain('***');
    // What is left still reads as the same backend, with *** for the secret.
    const cfg = parseConnection(r) as Record<string, unknown>;
    expect(cfg.type).toBe(parseConnection(s).type);
    expect(cfg).toMatchObject(kept);
    const secretField = {
      dev: 'token',
      lnd: 'macaroon',
      lnbits: 'key',
      cln: 'rune',
      phoenixd: 'password',
      blink: 'apiKey',
    }[cfg.type as string];
    if (secretField) expect(cfg[secretField]).toBe('***');
    if (cfg.type === 'nwc') {
      const u = new URL(cfg.uri as string);
      expect(u.searchParams.get('secret')).toBe('***');
      expect(u.searchParams.get('relay')).toBe('wss://relay.example.com');
      expect(u.host).toBe(NWC_PUBKEY);
    }
  });

  it('also hides a password in the user part, a secret named in any case, and leaves `dev` alone', () => {
    const r = redactConnection(
      `phoenixd://user:${PHOENIX_PASSWORD}@127.0.0.1:9740?PASSWORD=${PHOENIX_PASSWORD}`,
    );
    expect(r).not.toContain(PHOENIX_PASSWORD);
    expect(redactConnection(`lnbits://h?Key=${LNBITS_KEY}`)).not.toContain(LNBITS_KEY);
    expect(redactConnection('dev')).toBe('dev');
  });

  it('a string that is not a URL loses everything after "?"', () => {
    expect(redactConnection(`lnbits://no de?key=${LNBITS_KEY}`)).toBe('lnbits://no de');
    expect(redactConnection(`lnbits//host?key=${LNBITS_KEY}`)).toBe('lnbits//host');
  });
});

describe('openBackend opens each backend from its connection string', () => {
  it('dev: an in-process dev node; dev+http: a dev node over HTTP (one call each)', async () => {
    const dev = (await openBackend('dev', { dev: { production: false } })) as DevNode;
    expect(dev).toBeInstanceOf(DevNode);
    const node = new DevNode({ production: false });
    const s = await listen(devNodeHandler(node, { token: DEV_TOKEN }));
    try {
      const remote = await openBackend(`dev+http://${new URL(s.url).host}?token=${DEV_TOKEN}`);
      expect(remote.backend).toBe('dev');
      expect((await remote.getInfo!()).pubkey).toBe(node.pubkey);
      const inv = await (remote as InvoiceIssuer).createInvoice({ amountMsat: sats(5) });
      expect(decodeInvoice(inv.paymentRequest).payee).toBe(node.pubkey);
    } finally {
      await s.close();
      await node.close();
      await dev.close();
    }
  });

  it('nostr+walletconnect: a URI the NWC adapter refuses is LN_BAD_CONFIG without its secret', async () => {
    for (const uri of [
      `nostr+walletconnect://?relay=wss://relay.example.com&secret=${NWC_SECRET}`,
      `nostr+walletconnect://${NWC_PUBKEY}?relay=wss://relay.example.com&secret=${NWC_SECRET.slice(2)}`,
      `nostr+walletconnect://${NWC_PUBKEY}?relay=https://relay.example.com&secret=${NWC_SECRET}`,
    ]) {
      const e = await openBackend(uri).then(
        () => undefined,
        (x: FareboxError) => x,
      );
      expect(e?.code).toBe('LN_BAD_CONFIG');
      expectNoSecret(e!, NWC_SECRET.slice(2));
    }
  });

  describe('CLN clnrest (local server reproducing its documented API)', () => {
    let mock: MockCln;
    beforeAll(async () => {
      mock = await MockCln.start({ rune: RUNE });
    });
    afterAll(() => mock.close());

    it('cln+http://…?rune=…: creates an invoice with the rune header', async () => {
      const conn = `cln+http://${new URL(mock.url).host}?rune=${RUNE}`;
      const cln: LightningBackend = await openBackend(conn, { timeoutMs: 5000 });
      expect(cln.backend).toBe('cln');
      const inv = await (cln as InvoiceIssuer).createInvoice({ amountMsat: sats(21), memo: 'opened' });
      const req = mock.requests.at(-1)!;
      expect(req.path).toBe('/v1/invoice');
      expect(req.headers.rune).toBe(RUNE);
      const d = decodeInvoice(inv.paymentRequest);
      expect(d.payee).toBe(mock.pubkey);
      expect(d.amountMsat).toBe(21_000n);
      expect(d.description).toBe('opened');
    });

    it('a wrong rune in the string: LN_UNAUTHORIZED, and the rune is in no error', async () => {
      const wrong = 'aW52YWxpZC1ydW5lLXdpdGgtZW5vdWdoLWxlbmd0aA';
      const cln = await openBackend(`cln+http://${new URL(mock.url).host}?rune=${wrong}`);
      const e = await (cln.getInfo!() as Promise<unknown>).then(
        () => undefined,
        (x: FareboxError) => x,
      );
      expect(e?.code).toBe('LN_UNAUTHORIZED');
      expectNoSecret(e!, wrong);
    });
  });

  describe('Phoenixd (local server reproducing its documented API)', () => {
    let mock: MockPhoenixd;
    beforeAll(async () => {
      mock = await MockPhoenixd.start({ password: PHOENIX_PASSWORD, limitedPassword: PHOENIX_LIMITED });
    });
    afterAll(() => mock.close());

    it('phoenixd://…?password=…: creates an invoice with Basic auth', async () => {
      const conn = `phoenixd://${new URL(mock.url).host}?password=${PHOENIX_PASSWORD}`;
      const phoenix = await openBackend(conn, { timeoutMs: 5000 });
      expect(phoenix.backend).toBe('phoenixd');
      const inv = await (phoenix as InvoiceIssuer).createInvoice({ amountMsat: sats(21), memo: 'opened' });
      const req = mock.requests.at(-1)!;
      expect(req.path).toBe('/createinvoice');
      expect(req.headers.authorization).toBe(
        `Basic ${Buffer.from(`:${PHOENIX_PASSWORD}`).toString('base64')}`,
      );
      const d = decodeInvoice(inv.paymentRequest);
      expect(d.payee).toBe(mock.nodeId);
      expect(d.amountMsat).toBe(21_000n);
    });
  });

  describe('Blink GraphQL (local server reproducing its documented API)', () => {
    let mock: MockBlink;
    beforeAll(async () => {
      mock = await MockBlink.start({ [BLINK_KEY]: ['READ', 'RECEIVE', 'WRITE'] });
    });
    afterAll(() => mock.close());

    it('blink+http://…/graphql?key=…&wallet=…: creates an invoice with X-API-KEY in that wallet', async () => {
      const conn = `blink+http://${new URL(mock.url).host}/graphql?key=${BLINK_KEY}&wallet=${mock.btcWalletId}`;
      const blink = await openBackend(conn, { timeoutMs: 5000 });
      expect(blink.backend).toBe('blink');
      const inv = await (blink as InvoiceIssuer).createInvoice({ amountMsat: sats(21), memo: 'opened' });
      const req = mock.requests.at(-1)!;
      expect(req.path).toBe('/graphql');
      expect(req.headers['x-api-key']).toBe(BLINK_KEY);
      expect(JSON.parse(req.body).variables.input.walletId).toBe(mock.btcWalletId);
      expect(decodeInvoice(inv.paymentRequest).payee).toBe(mock.nodeId);
    });

    it('blink+http://…?key=… without a wallet (default path /graphql): reads the balance of the BTC wallet', async () => {
      const blink = (await openBackend(`blink+http://${new URL(mock.url).host}?key=${BLINK_KEY}`, {
        timeoutMs: 5000,
      })) as Payer;
      expect(await blink.getBalance()).toEqual({ balanceMsat: BigInt(mock.balanceSat) * 1000n });
      expect(mock.requests.at(-1)!.path).toBe('/graphql');
    });
  });
});
