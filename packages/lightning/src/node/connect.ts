/**
 * Opening a backend from a connection string: the one `--backend` / `--wallet` option of
 * the CLI, the gateway and the MCP server. Reads macaroon and certificate files, picks the
 * right adapter, and gives Node 20 a WebSocket where the adapter needs one.
 *
 * @module
 */
import { readFile } from 'node:fs/promises';
import { ErrorCodes, FareboxError } from '@farebox/core';
import { WebSocket } from 'ws';
import { type BackendConfig, parseConnection } from '../connection.js';
import { DevNode, type DevNodeOptions } from '../dev-node.js';
import { DevNodeClient } from '../dev-node-remote.js';
import type { LightningBackend } from '../types.js';
import { createTlsFetch } from './tls.js';

/** Options for {@link openBackend}. */
export interface OpenBackendOptions {
  /** Per-call timeout, ms. */
  timeoutMs?: number;
  /** Options for an in-process dev node (`dev`). */
  dev?: DevNodeOptions;
}

const PEM = '-----BEGIN';

async function maybeFile(v: string | undefined): Promise<string | undefined> {
  if (!v || v.includes(PEM)) return v;
  if (v.startsWith('/') || v.startsWith('./') || v.startsWith('~')) {
    const path = v.startsWith('~') ? `${process.env.HOME ?? ''}${v.slice(1)}` : v;
    try {
      return await readFile(path, 'utf8');
    } catch (e) {
      throw new FareboxError(ErrorCodes.LN_BAD_CONFIG, `cannot read ${path}`, { cause: e });
    }
  }
  return v;
}

/**
 * Opens a backend from a connection string or a parsed config.
 *
 * @example
 * ```ts
 * import { openBackend } from '@farebox/lightning/node';
 * const wallet = await openBackend(process.env.FAREBOX_WALLET ?? 'dev');
 * ```
 */
export async function openBackend(
  conn: string | BackendConfig,
  opts: OpenBackendOptions = {},
): Promise<LightningBackend> {
  const cfg = typeof conn === 'string' ? parseConnection(conn) : conn;
  const t = opts.timeoutMs === undefined ? {} : { timeoutMs: opts.timeoutMs };
  switch (cfg.type) {
    case 'dev':
      if (cfg.url) return new DevNodeClient({ url: cfg.url, token: cfg.token ?? '', ...t });
      return new DevNode(opts.dev ?? {});
    case 'lnd': {
      if (cfg.transport === 'grpc') {
        const { LndGrpc } = await import('./lnd-grpc.js');
        return LndGrpc.fromConnection(cfg, t);
      }
      const { LndRest } = await import('./lnd-rest.js');
      return LndRest.fromConnection(cfg, t);
    }
    case 'lnbits': {
      const { LnbitsBackend } = await import('../lnbits.js');
      return new LnbitsBackend({ url: cfg.url, key: cfg.key, WebSocket: WebSocket as never, ...t });
    }
    case 'nwc': {
      const { NwcBackend } = await import('../nwc/index.js');
      return new NwcBackend({ uri: cfg.uri, WebSocket: WebSocket as never, ...t });
    }
    case 'cln': {
      const { ClnRest } = await import('../cln.js');
      const ca = await maybeFile(cfg.cert);
      const tls = createTlsFetch(ca ? { ca } : {});
      return new ClnRest({ url: cfg.url, rune: cfg.rune, fetch: tls.fetch, ...t });
    }
    case 'phoenixd': {
      const { Phoenixd } = await import('../phoenixd.js');
      return new Phoenixd({ url: cfg.url, password: cfg.password, ...t });
    }
    case 'blink': {
      const { Blink } = await import('../blink.js');
      return new Blink({
        url: cfg.url,
        apiKey: cfg.apiKey,
        ...(cfg.walletId ? { walletId: cfg.walletId } : {}),
        ...t,
      });
    }
  }
}
