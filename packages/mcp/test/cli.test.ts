/**
 * `farebox mcp` as a command: help, usage errors, and `--http` as a process an MCP client
 * connects to with the bearer token it printed.
 */
import { spawn } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../cli/src/main.js';
import { httpClient } from './support/mcp-client.js';
import { TOOL_NAMES } from './support/scenario.js';

async function cli(args: string[], env: Record<string, string> = {}) {
  let out = '';
  let err = '';
  const code = await main(args, { stdout: (s) => (out += s), stderr: (s) => (err += s), env });
  return { code, out, err };
}

describe('farebox mcp (command)', () => {
  it('--help shows the client configuration snippet', async () => {
    const r = await cli(['mcp', '--help']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('"command": "npx", "args": ["farebox", "mcp"]');
    expect(r.out).toContain('FAREBOX_MAX_SATS_PER_DAY');
  });

  it('usage and configuration errors', async () => {
    expect((await cli(['mcp', '--port', 'x'])).code).toBe(2);
    expect((await cli(['mcp', '--bogus'])).code).toBe(2);
    const bad = await cli(['mcp'], { FAREBOX_MAX_SATS_PER_DAY: 'lots' });
    expect(bad.code).toBe(1);
    expect(bad.err).toContain('CONFIG_INVALID: FAREBOX_MAX_SATS_PER_DAY must be a number');
  });

  it('stdio: a client that ends stdin after its requests still gets every answer', async () => {
    const home = await mkdtemp(join(tmpdir(), 'farebox-mcp-pipe-'));
    const bin = new URL('../../cli/bin/farebox.js', import.meta.url).pathname;
    const child = spawn(process.execPath, [bin, 'mcp'], {
      env: { PATH: process.env.PATH ?? '', FAREBOX_HOME: home },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((r) => child.once('exit', r));
    const lines = [
      {
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: {
          protocolVersion: '2025-06-18',
          capabilities: {},
          clientInfo: { name: 'pipe', version: '1' },
        },
      },
      { jsonrpc: '2.0', method: 'notifications/initialized' },
      { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'l402_receipts', arguments: {} } },
    ];
    child.stdin.end(lines.map((l) => `${JSON.stringify(l)}\n`).join(''));
    expect(await exited).toBe(0);
    const answers = out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(answers.map((a) => a.id)).toEqual([1, 2]);
    expect(answers[1].result.structuredContent).toEqual({
      count: 0,
      total_sats: 0,
      fees_sats: 0,
      payments: [],
    });
  });

  it('--http: serves Streamable HTTP on loopback with a generated bearer token', async () => {
    const home = await mkdtemp(join(tmpdir(), 'farebox-mcp-cli-'));
    const bin = new URL('../../cli/bin/farebox.js', import.meta.url).pathname;
    const child = spawn(process.execPath, [bin, 'mcp', '--http', '--port', '0'], {
      env: { PATH: process.env.PATH ?? '', FAREBOX_HOME: home },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const ready = new Promise<{ url: string; token: string }>((resolve, reject) => {
      child.stderr.on('data', (d: Buffer) => {
        err += d.toString();
        const url = /Streamable HTTP on (http:\/\/127\.0\.0\.1:\d+\/mcp)/.exec(err)?.[1];
        const token = /bearer token \(set FAREBOX_MCP_TOKEN to choose it\): (\S+)/.exec(err)?.[1];
        if (url && token) resolve({ url, token });
      });
      child.once('exit', (c) => reject(new Error(`exited ${c}: ${err}`)));
    });
    const { url, token } = await ready;
    const t = await httpClient(url, token);
    const { tools } = await t.client.listTools();
    expect(tools.map((x) => x.name).sort()).toEqual(TOOL_NAMES);
    const b = await t.call('l402_budget');
    expect(b.data.limits).toMatchObject({ per_call_sats: 100, per_day_sats: 1000 });
    expect(b.text).not.toContain(token);
    await t.close();
    const exited = new Promise<number | null>((r) => child.once('exit', r));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(out).toBe('');
  });
});
