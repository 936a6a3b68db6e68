import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { budgetOf } from '../src/from-config.js';

describe('loadConfig', () => {
  it('defaults: small budget, no private networks, ~/.farebox', async () => {
    const c = await loadConfig({ env: { HOME: '/home/a' } });
    expect(c).toEqual({
      allowAgentLowerBudget: false,
      allowPrivateNetworks: false,
      maxResponseBytes: 1024 * 1024,
      timeoutSeconds: 30,
      home: '/home/a/.farebox',
      http: { host: '127.0.0.1', port: 8403 },
      maxSatsPerCall: 100,
      maxSatsPerDay: 1000,
    });
  });

  it('reads the environment', async () => {
    const c = await loadConfig({
      env: {
        FAREBOX_WALLET: 'nostr+walletconnect://abc?relay=wss://r.example&secret=00',
        FAREBOX_MAX_SATS_PER_CALL: '50',
        FAREBOX_MAX_SATS_PER_DAY: 'none',
        FAREBOX_MAX_SATS_TOTAL: '5000',
        FAREBOX_ALLOW_HOSTS: 'api.example.com, *.sats.example',
        FAREBOX_APPROVE_ABOVE_SATS: '20',
        FAREBOX_ALLOW_PRIVATE_NETWORKS: 'yes',
        FAREBOX_ALLOW_AGENT_LOWER_BUDGET: '1',
        FAREBOX_HOME: '/tmp/fb',
        FAREBOX_MCP_TOKEN: 'tok',
      },
    });
    expect(c).toMatchObject({
      wallet: 'nostr+walletconnect://abc?relay=wss://r.example&secret=00',
      maxSatsPerCall: 50,
      maxSatsTotal: 5000,
      allowHosts: ['api.example.com', '*.sats.example'],
      approveAboveSats: 20,
      allowPrivateNetworks: true,
      allowAgentLowerBudget: true,
      home: '/tmp/fb',
      http: { token: 'tok' },
    });
    expect(c.maxSatsPerDay).toBeUndefined();
    expect(budgetOf(c)).toEqual({
      perRequestSats: 50,
      totalSats: 5000,
      allowHosts: ['api.example.com', '*.sats.example'],
    });
  });

  it('reads a JSON file; the environment wins', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'farebox-mcp-cfg-'));
    const file = join(dir, 'mcp.json');
    await writeFile(
      file,
      JSON.stringify({
        wallet: 'lnbits://x?key=k',
        maxSatsPerDay: 300,
        maxSatsPerHour: 30,
        denyHosts: ['evil.example'],
        allowPrivateNetworks: ['127.0.0.1', '::1'],
        http: { port: 9000, token: 'file-token' },
      }),
    );
    const c = await loadConfig({ env: { FAREBOX_CONFIG: file, FAREBOX_MAX_SATS_PER_DAY: '200' } });
    expect(c).toMatchObject({
      wallet: 'lnbits://x?key=k',
      maxSatsPerDay: 200,
      maxSatsPerHour: 30,
      denyHosts: ['evil.example'],
      allowPrivateNetworks: false,
      allowAddresses: ['127.0.0.1', '::1'],
      http: { port: 9000, token: 'file-token' },
    });
  });

  it('names the bad field', async () => {
    await expect(loadConfig({ env: { FAREBOX_MAX_SATS_PER_DAY: '-1' } })).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      data: { field: 'FAREBOX_MAX_SATS_PER_DAY' },
    });
    await expect(loadConfig({ env: { FAREBOX_ALLOW_PRIVATE_NETWORKS: 'sometimes' } })).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      data: { field: 'FAREBOX_ALLOW_PRIVATE_NETWORKS' },
    });
    await expect(loadConfig({ env: {}, file: '/nonexistent/mcp.json' })).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
    });
  });
});
