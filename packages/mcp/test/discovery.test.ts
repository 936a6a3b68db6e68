import { describe, expect, it } from 'vitest';
import { discover, discoveryTarget, parseL402Txt } from '../src/discovery.js';
import type { FetchFn } from '../src/ssrf.js';

/** A fetch answering from a table of URL → response. */
function fakeFetch(table: Record<string, () => Response>): FetchFn & { urls: string[] } {
  const urls: string[] = [];
  const f = async (input: string | URL | Request) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    urls.push(url);
    return table[url]?.() ?? new Response('not found', { status: 404 });
  };
  return Object.assign(f, { urls });
}

const OPENAPI = {
  openapi: '3.1.0',
  info: { title: 'Music API', description: 'songs for sats' },
  servers: [{ url: 'https://music.example' }],
  paths: {
    '/api/music': {
      post: {
        operationId: 'post_music',
        summary: 'a song',
        'x-l402': { price_sats: 21, pricing: 'fixed', policy: { type: 'per-request' }, service: 'music' },
        requestBody: {
          content: { 'application/json': { schema: { type: 'object', required: ['prompt'] } } },
        },
      },
    },
    '/health': { get: { summary: 'free' } },
  },
};

describe('discovery client', () => {
  it('parses the DNS TXT value', () => {
    expect(parseL402Txt('v=l402; services=https://a.example/.well-known/l402-services')).toEqual({
      version: 'l402',
      services: 'https://a.example/.well-known/l402-services',
    });
    expect(parseL402Txt('v=L402')).toEqual({ version: 'l402' });
    expect(parseL402Txt('v=spf1 -all')).toBeUndefined();
    expect(parseL402Txt('v=l402; services=javascript:alert(1)')).toEqual({ version: 'l402' });
  });

  it('reads a URL or a domain', () => {
    expect(discoveryTarget('https://api.example.com/some/path')).toEqual({ base: 'https://api.example.com' });
    expect(discoveryTarget('api.example.com')).toEqual({
      base: 'https://api.example.com',
      domain: 'api.example.com',
    });
    expect(discoveryTarget('127.0.0.1:8402')).toEqual({ base: 'http://127.0.0.1:8402' });
    expect(discoveryTarget('localhost:8402')).toEqual({ base: 'http://localhost:8402' });
    expect(() => discoveryTarget('ftp://x.example')).toThrow(/http/);
  });

  it('falls back to OpenAPI x-l402 operations', async () => {
    const f = fakeFetch({ 'https://music.example/openapi.json': () => Response.json(OPENAPI) });
    const r = await discover('https://music.example', { fetch: f });
    expect(r.source).toBe('openapi');
    expect(r.title).toBe('Music API');
    expect(r.services).toEqual([
      {
        name: 'music',
        method: 'POST',
        path: '/api/music',
        url: 'https://music.example/api/music',
        description: 'a song',
        price_sats: 21,
        pricing: 'fixed',
        policy: { type: 'per-request' },
        request_schema: { type: 'object', required: ['prompt'] },
      },
    ]);
    expect(r.warnings).toEqual(['GET https://music.example/.well-known/l402-services: HTTP 404']);
  });

  it('falls back to llms.txt, cut at 20 000 characters', async () => {
    const text = `# Songs\n${'x'.repeat(30_000)}`;
    const f = fakeFetch({ 'https://m.example/llms.txt': () => new Response(text) });
    const r = await discover('https://m.example', { fetch: f });
    expect(r.source).toBe('llms.txt');
    expect(r.llms_txt?.startsWith('# Songs')).toBe(true);
    expect(r.llms_txt?.length).toBeLessThan(20_100);
    expect(r.services).toEqual([]);
  });

  it('follows the DNS TXT record of a domain to its services document', async () => {
    const doc = {
      title: 'elsewhere',
      base_url: 'https://api.shop.example',
      network: 'mainnet',
      services: [
        {
          name: 'joke',
          method: 'GET',
          path: '/joke',
          price_sats: 2,
          pricing: 'fixed',
          policy: { type: 'pass', validSeconds: 60 },
        },
        { name: 'bad' },
      ],
    };
    const f = fakeFetch({ 'https://docs.shop.example/l402.json': () => Response.json(doc) });
    const r = await discover('shop.example', {
      fetch: f,
      resolveTxt: async (name) => {
        expect(name).toBe('l402._payment.shop.example');
        return [['v=spf1 -all'], ['v=l402; services=', 'https://docs.shop.example/l402.json']];
      },
    });
    expect(r.dns).toEqual({
      name: 'l402._payment.shop.example',
      records: ['v=l402; services=https://docs.shop.example/l402.json'],
      services_url: 'https://docs.shop.example/l402.json',
    });
    expect(r.source).toBe('well-known');
    expect(r.network).toBe('mainnet');
    expect(r.services).toEqual([
      {
        name: 'joke',
        method: 'GET',
        path: '/joke',
        url: 'https://api.shop.example/joke',
        price_sats: 2,
        pricing: 'fixed',
        policy: { type: 'pass', valid_seconds: 60 },
      },
    ]);
    expect(f.urls).toEqual(['https://docs.shop.example/l402.json']);
  });

  it('reports a missing TXT record and missing documents', async () => {
    const f = fakeFetch({});
    const r = await discover('nothing.example', {
      fetch: f,
      resolveTxt: async () => {
        throw Object.assign(new Error('nx'), { code: 'ENOTFOUND' });
      },
    });
    expect(r.source).toBe('none');
    expect(r.dns).toEqual({ name: 'l402._payment.nothing.example', records: [], error: 'no TXT record' });
    expect(r.warnings).toHaveLength(3);
  });

  it('reads documents up to the size cap', async () => {
    const big = `{"services": [], "pad": "${'y'.repeat(5000)}"}`;
    const f = fakeFetch({ 'https://big.example/.well-known/l402-services': () => new Response(big) });
    const r = await discover('https://big.example', { fetch: f, maxBytes: 1000 });
    expect(r.warnings[0]).toMatch(/larger than 1000 bytes, cut/);
    expect(r.source).not.toBe('well-known');
  });
});
