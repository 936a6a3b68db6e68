/**
 * The command line: `farebox services` starts the app (dev node by default, saying so), and
 * `farebox fetch` buys a song from it (the CLI's `main()`, paying with the dev wallet the
 * server advertises), then `farebox fetch` again buys a 3D model with a JSON body from a file.
 * An agent buys a song too: the MCP server's `l402_fetch`, called by the SDK's own client.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFareboxMcpServer, FareboxToolkit } from '@farebox/mcp';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type StartedServices, startServices } from '../../cli/src/commands/services.js';
import { main } from '../../cli/src/main.js';
import { PNG_URI } from './app-helpers.js';

async function cli(args: string[], env: Record<string, string> = {}) {
  let out = '';
  let err = '';
  const code = await main(args, { stdout: (s) => (out += s), stderr: (s) => (err += s), env });
  return { code, out, err };
}

describe('farebox services and farebox fetch', () => {
  let started: StartedServices;
  let out = '';
  let home = '';

  beforeAll(async () => {
    home = await mkdtemp(join(tmpdir(), 'farebox-services-cli-'));
    const config = join(home, 'services.json');
    await writeFile(
      config,
      JSON.stringify({ prices: { music: { default: 120, wav: 150 } }, title: 'Test songs' }),
    );
    const s = await startServices(['--port', '0', '--config', config], {
      stdout: (x) => (out += x),
      stderr: (x) => (out += x),
      env: {},
    });
    if (typeof s === 'number') throw new Error(`startServices exited ${s}: ${out}`);
    started = s;
  });
  afterAll(() => started?.close());

  it('starts on the dev node and says so, listing both services and their prices', () => {
    expect(out).toContain('dev node: no real money');
    expect(out).toContain(`POST ${started.url}/api/l402/music`);
    expect(out).toContain(`POST ${started.url}/api/l402/3d-model`);
    expect(out).toContain('120 sats (mp3, pcm) · 150 sats (wav)');
    expect(out).toContain('music: embedded-music');
    expect(started.app.config.title).toBe('Test songs');
  });

  it('farebox fetch buys a song: 402, pays with the dev wallet, gets {"audioUrl"}', async () => {
    const body = JSON.stringify({
      prompt: 'bright synth pop with a driving beat',
      lyrics: 'Neon city, we are dancing all night',
      model: 'Music Generation',
      audio_format: 'wav',
      sample_rate: 16000,
    });
    const r = await cli(['fetch', '--json', '-d', body, `${started.url}/api/l402/music`], {
      FAREBOX_HOME: home,
    });
    expect(r.code, r.err).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.status).toBe(200);
    expect(j.body.audioUrl).toMatch(new RegExp(`^${started.url}/files/[A-Za-z0-9_-]{43}\\.wav$`));
    expect(j.paid).toEqual([expect.objectContaining({ sats: 150, path: '/api/l402/music' })]);
    const file = await fetch(j.body.audioUrl);
    expect(file.headers.get('content-type')).toBe('audio/wav');
    const receipts = await cli(['receipts', '--json'], { FAREBOX_HOME: home });
    expect(JSON.parse(receipts.out).totalSats).toBe(150);
  }, 120_000);

  it('farebox fetch -d @file buys a 3D model', async () => {
    const file = join(home, 'image.json');
    await writeFile(file, JSON.stringify({ image: PNG_URI }));
    const r = await cli(
      ['fetch', '-d', `@${file}`, '-H', 'Content-Type: application/json', `${started.url}/api/l402/3d-model`],
      {
        FAREBOX_HOME: home,
      },
    );
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(r.out).modelUrl).toMatch(/\.glb$/);
    expect(r.err).toContain('paid 500 sats');
  }, 120_000);

  it('--help, and configuration errors name the field', async () => {
    const help = await cli(['services', '--help']);
    expect(help.code).toBe(0);
    expect(help.out).toContain('Usage: farebox services');
    const cfg = join(home, 'bad.json');
    await writeFile(cfg, JSON.stringify({ prices: { music: -1 } }));
    const bad = await cli(['services', '--config', cfg]);
    expect(bad.code).toBe(1);
    expect(bad.err).toContain('CONFIG_INVALID: "prices.music" must be a number of sats > 0');
    const port = await cli(['services', '--port', 'x']);
    expect(port.code).toBe(2);
  });

  it('the MCP tool l402_fetch buys a song for an agent', async () => {
    const toolkit = new FareboxToolkit({
      budget: { perRequestSats: 500 },
      allowPrivateNetworks: true,
      downloadDir: join(home, 'mcp-downloads'),
    });
    const server = createFareboxMcpServer(toolkit);
    const [a, b] = InMemoryTransport.createLinkedPair();
    const client = new Client({ name: 'services-test', version: '1.0.0' });
    await Promise.all([server.connect(a), client.connect(b)]);
    try {
      const r = await client.callTool({
        name: 'l402_fetch',
        arguments: {
          url: `${started.url}/api/l402/music`,
          method: 'POST',
          body: {
            prompt: 'a cheerful sea shanty with a strong beat',
            lyrics: 'Haul away the rope, my lads, and sing',
            model: 'Music Generation',
            audio_format: 'pcm',
            sample_rate: 16000,
          },
        },
      });
      const out = r.structuredContent as {
        outcome: string;
        status: number;
        body: { json: { audioUrl: string } };
        paid: { sats: number; path: string }[];
      };
      expect(r.isError ?? false, JSON.stringify(r)).toBe(false);
      expect(out.outcome).toBe('ok');
      expect(out.status).toBe(200);
      expect(out.body.json.audioUrl).toMatch(/\.pcm$/);
      expect(out.paid.map((p) => [p.sats, p.path])).toEqual([[120, '/api/l402/music']]);
    } finally {
      await client.close();
      await toolkit.close();
    }
  }, 120_000);
});
