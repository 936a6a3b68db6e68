import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCapped, summarizeBody } from '../src/body.js';
import { REDACTED, Redactor } from '../src/redact.js';

describe('Redactor', () => {
  it('redacts by key and by content, deeply', () => {
    const r = new Redactor();
    r.addConnection(
      'nostr+walletconnect://b889ff5b?relay=wss%3A%2F%2Frelay.example&secret=71a8c14c1407c113601079c4302dab36460f0ccd0ad506f1f2dc73b5100e4f3c',
    );
    r.addCredential(`L402 AgEEbHNhdAJCAAAA:${'ab'.repeat(32)}`);
    const out = r.redact({
      note: 'paid with secret=71a8c14c1407c113601079c4302dab36460f0ccd0ad506f1f2dc73b5100e4f3c',
      nested: [{ preimage: 'anything', macaroon: 'x', count: 3, token_count: 'kept' }],
      echoed: `got ${'ab'.repeat(32)} and AgEEbHNhdAJCAAAA`,
    });
    expect(out).toEqual({
      note: `paid with secret=${REDACTED}`,
      nested: [{ preimage: REDACTED, macaroon: REDACTED, count: 3, token_count: 'kept' }],
      echoed: `got ${REDACTED} and ${REDACTED}`,
    });
  });

  it('ignores secrets too short to match safely', () => {
    const r = new Redactor();
    r.add('t');
    expect(r.redactText('the token')).toBe('the token');
  });
});

describe('bodies', () => {
  const o = async () => ({
    maxInlineBytes: 100,
    downloadDir: await mkdtemp(join(tmpdir(), 'fb-body-')),
    name: 'b',
  });

  it('stops reading at the cap', async () => {
    let pulled = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(c) {
        pulled++;
        c.enqueue(new Uint8Array(1000).fill(65));
      },
    });
    const { bytes, truncated } = await readCapped(new Response(stream), 2500);
    expect(bytes.byteLength).toBe(2500);
    expect(truncated).toBe(true);
    expect(pulled).toBeLessThan(6);
  });

  it('JSON inline, large text cut and saved, binary saved', async () => {
    const json = await summarizeBody(
      new TextEncoder().encode('{"a":1}'),
      false,
      'application/json',
      await o(),
    );
    expect(json).toEqual({ kind: 'json', json: { a: 1 }, bytes: 7, content_type: 'application/json' });
    const long = new TextEncoder().encode('z'.repeat(300));
    const text = await summarizeBody(long, false, 'text/plain; charset=utf-8', await o());
    expect(text.kind).toBe('text');
    expect(text.text).toBe('z'.repeat(100));
    expect(await readFile(text.saved_to!, 'utf8')).toBe('z'.repeat(300));
    const bin = await summarizeBody(
      new Uint8Array([0, 1, 2, 255]),
      false,
      'application/octet-stream',
      await o(),
    );
    expect(bin).toMatchObject({ kind: 'binary', bytes: 4 });
    expect(bin.saved_to?.endsWith('.bin')).toBe(true);
    const sniffed = await summarizeBody(new TextEncoder().encode('hello'), false, null, await o());
    expect(sniffed).toMatchObject({ kind: 'text', text: 'hello' });
    const empty = await summarizeBody(new Uint8Array(0), false, 'text/plain', await o());
    expect(empty.kind).toBe('empty');
  });
});
