/**
 * `FAREBOX_TIMEOUT_SECONDS` bounds each HTTP call the tools make: a slow server answers within
 * a long enough limit, and a short one gives a clear error with nothing paid.
 */

import { mkdtemp } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, toolkitFromConfig } from '../src/index.js';

let server: Server;
let url = '';

beforeAll(async () => {
  server = createServer((_req, res) => {
    setTimeout(() => res.writeHead(200, { 'content-type': 'application/json' }).end('{"slow":true}'), 1500);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/slow`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

async function toolkit(seconds: string) {
  const cfg = await loadConfig({
    env: {
      FAREBOX_HOME: await mkdtemp(join(tmpdir(), 'farebox-mcp-timeout-')),
      FAREBOX_ALLOW_PRIVATE_NETWORKS: '127.0.0.1',
      FAREBOX_TIMEOUT_SECONDS: seconds,
    },
  });
  expect(cfg.timeoutSeconds).toBe(Number(seconds));
  return toolkitFromConfig(cfg);
}

describe('FAREBOX_TIMEOUT_SECONDS', () => {
  it('a limit above the server’s time: the answer arrives', async () => {
    const t = await toolkit('10');
    try {
      const r = await t.fetch({ url });
      expect(r).toMatchObject({ outcome: 'ok', status: 200, paid: [] });
    } finally {
      await t.close();
    }
  });

  it('a limit below it: an error that says so, nothing paid', async () => {
    const t = await toolkit('1');
    try {
      const r = await t.fetch({ url });
      expect(r.outcome).toBe('error');
      expect(r.message).toMatch(/time|abort/i);
      expect(r.paid).toEqual([]);
    } finally {
      await t.close();
    }
  });

  it('defaults to 30 s; below 1 s is refused', async () => {
    expect((await loadConfig({ env: { HOME: '/h' } })).timeoutSeconds).toBe(30);
    await expect(loadConfig({ env: { HOME: '/h', FAREBOX_TIMEOUT_SECONDS: '0.5' } })).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
    });
  });
});
