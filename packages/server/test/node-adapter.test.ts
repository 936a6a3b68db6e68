import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { lazyBody, serve } from '../src/adapters/node.js';
import { Paywall } from '../src/index.js';
import { conformance } from './conformance.js';

conformance('node:http adapter', async (opts, handler) => serve(new Paywall(opts), handler));

describe('lazyBody', () => {
  it('a reader that cancels mid-body: the rest is dropped and the end of the request is no error', async () => {
    const req = new PassThrough();
    const body = lazyBody(req as unknown as Parameters<typeof lazyBody>[0]);
    const reader = body.stream.getReader();
    req.write('first');
    expect(new TextDecoder().decode((await reader.read()).value)).toBe('first');
    await reader.cancel();
    req.write('more, dropped');
    req.end();
    await new Promise((r) => req.once('end', r));
    await new Promise((r) => setImmediate(r));
    expect(body.used()).toBe(true);
  });
});
