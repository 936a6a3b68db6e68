import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import v8 from 'node:v8';
import {
  createAdminHandler,
  DEFAULT_HEAP_GROWING_PERCENT,
  type GatewayConfig,
  type Logger,
  loadConfig,
  parseConfig,
  startGateway,
} from '@farebox/gateway';
import { DEV_NODE_NOTICE, redactConnection } from '@farebox/lightning';
import type { Io } from '../io.js';
import { fareboxHome, fetchCommand } from './fetch.js';

export const gatewayHelp = `Usage: farebox gateway [--config <file>] [options]

A reverse proxy that sells any upstream HTTP service per request over L402.
The config is YAML or JSON (see docs/gateway.md and gateway.schema.json); an
Aperture config file is accepted as it is.

Options:
  -c, --config <file>  configuration file (YAML or JSON)
  --check              validate the configuration, print the routes, and exit
  --demo               start a sample upstream and a gateway on the dev node
                       (no real money), then pay one request with farebox fetch;
                       the admin dashboard is on, with a random token printed once
  --listen <host:port> override the listen address
  --json               with --check: print the normalized configuration as JSON
  -h, --help           this help

Signals: SIGHUP reloads the configuration without dropping connections;
SIGTERM/SIGINT stop gracefully (in-flight requests finish).
`;

function jsonLogger(io: Io): Logger {
  const line = (level: string) => (o: Record<string, unknown>) =>
    io.stdout(`${JSON.stringify({ time: new Date().toISOString(), level, ...o })}\n`);
  return { info: line('info'), warn: line('warn'), error: line('error') };
}

function describeRoutes(cfg: GatewayConfig): string {
  const rows = cfg.services.map((s) => {
    const price =
      typeof s.price === 'number'
        ? `${s.price} sats`
        : 'msat' in s.price
          ? `${s.price.msat} msat`
          : `hook ${s.price.hook}`;
    const policy =
      !s.policy || s.policy === 'per-request'
        ? 'per-request'
        : 'pass' in s.policy
          ? `pass ${s.policy.pass}s`
          : `credits ${s.policy.credits}`;
    const hosts = s.hosts?.length ? s.hosts.join(',') : '*';
    return `  ${s.name.padEnd(14)} ${(s.methods?.join(',') ?? 'ANY').padEnd(8)} ${hosts}${s.path}  →  ${s.upstream}   ${s.auth === 'off' ? 'free' : price}, ${policy}${s.auth?.startsWith('freebie') ? `, ${s.auth}` : ''}`;
  });
  return [
    `listen   ${cfg.listen}${cfg.tls ? ' (TLS)' : ''}`,
    `backend  ${redactConnection(cfg.backend)}${cfg.backend === 'dev' ? `  (${DEV_NODE_NOTICE})` : ''}`,
    `store    ${cfg.store.replace(/\/\/[^@]*@/, '//***@')}`,
    'routes (first match wins):',
    ...rows,
  ].join('\n');
}

/** A tiny upstream for the demo: a joke API. */
async function sampleUpstream(): Promise<{ url: string; close: () => void }> {
  const jokes = [
    'Why do programmers prefer dark mode? Because light attracts bugs.',
    'There are 10 kinds of people: those who understand binary and those who do not.',
    'A SQL query walks into a bar, walks up to two tables and asks: may I join you?',
  ];
  let n = 0;
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    res.setHeader('content-type', 'application/json');
    if (path === '/health') return res.end('{"status":"ok"}');
    if (path === '/joke') return res.end(JSON.stringify({ joke: jokes[n++ % jokes.length] }));
    if (path === '/time') return res.end(JSON.stringify({ now: new Date().toISOString() }));
    res.statusCode = 404;
    res.end('{"error":"not found"}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => server.close() };
}

/**
 * Applies `memory.heapGrowingPercent` to this process (V8 reads it at every heap-limit
 * computation, so it can change while running). Under many concurrent connections V8's
 * default lets the old generation grow to several times the live data; a lower factor
 * collects sooner: less RSS for a little more GC time. Returns the value applied (0: V8's
 * own heuristic left alone).
 */
function applyMemoryTuning(config: GatewayConfig): number {
  const pct = config.memory?.heapGrowingPercent ?? DEFAULT_HEAP_GROWING_PERCENT;
  v8.setFlagsFromString(`--heap-growing-percent=${pct}`); // 0 is V8's default: its heuristic
  return pct;
}

export async function gatewayCommand(argv: string[], io: Io): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      config: { type: 'string', short: 'c' },
      check: { type: 'boolean' },
      demo: { type: 'boolean' },
      listen: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    io.stdout(gatewayHelp);
    return 0;
  }
  let upstream: { url: string; close: () => void } | undefined;
  let config: GatewayConfig;
  let adminToken: string | undefined;
  const home = fareboxHome(io.env);
  if (values.demo) {
    upstream = await sampleUpstream();
    // A fresh token each run: the dashboard is on loopback only and dies with the demo.
    adminToken = randomBytes(24).toString('base64url');
    config = parseConfig(
      JSON.stringify({
        listen: values.listen ?? '127.0.0.1:8402',
        backend: 'dev',
        store: `sqlite:${join(home, 'demo', 'gateway.db')}`,
        title: 'farebox demo: jokes per request',
        admin: { enabled: true, token: adminToken },
        services: [
          {
            name: 'jokes',
            path: '/joke',
            upstream: upstream.url,
            price: 21,
            description: 'One programming joke',
            methods: ['GET'],
          },
          {
            name: 'clock',
            path: '/time',
            upstream: upstream.url,
            price: 5,
            policy: { pass: 3600 },
            description: 'The time, all hour long',
          },
          { name: 'health', path: '/health', upstream: upstream.url, price: 0, auth: 'off' },
        ],
      }),
      'demo',
    );
    await mkdir(join(home, 'demo'), { recursive: true });
  } else if (values.config) {
    config = await loadConfig(values.config);
    if (values.listen) config.listen = values.listen;
  } else {
    io.stderr(`farebox gateway: --config <file> or --demo is required\n\n${gatewayHelp}`);
    return 2;
  }
  if (values.check) {
    if (values.json) io.stdout(`${JSON.stringify(config, null, 2)}\n`);
    else io.stdout(`${describeRoutes(config)}\nconfiguration OK\n`);
    return 0;
  }
  const logger = values.demo ? { info() {}, warn() {}, error: jsonLogger(io).error } : jsonLogger(io);
  logger.info({ msg: 'memory tuning', heapGrowingPercent: applyMemoryTuning(config) });
  let gw: Awaited<ReturnType<typeof startGateway>>;
  try {
    gw = await startGateway({
      config,
      logger,
      env: io.env,
      baseDir: values.config ? join(values.config, '..') : join(home, 'demo'),
      admin: createAdminHandler(),
    });
  } catch (e) {
    // Nothing may keep the process alive after a failed start (the demo's sample upstream).
    upstream?.close();
    throw e;
  }
  if (values.demo) {
    io.stdout(
      [
        '',
        'farebox gateway demo',
        `⚠ ${DEV_NODE_NOTICE} — the embedded dev Lightning node (regtest) pays and is paid here`,
        '',
        `  upstream (free, private)  ${upstream!.url}`,
        `  gateway                   ${gw.url}`,
        `  paid: GET ${gw.url}/joke (21 sats, one call per payment)   GET ${gw.url}/time (5 sats, an hour of calls)`,
        `  discovery                 ${gw.url}/.well-known/l402-services   ${gw.url}/llms.txt   ${gw.url}/openapi.json`,
        `  metrics                   ${gw.url}/metrics`,
        `  admin dashboard           ${gw.adminUrl ?? `${gw.url}/admin`}   token: ${adminToken}`,
        '                            (sign in with the token; it is not put in any URL)',
        `  in a browser              ${gw.url}/joke  (payment page with QR, WebLN and the dev wallet)`,
        '',
        `Paying one request: npx farebox fetch ${gw.url}/joke`,
        '',
      ].join('\n'),
    );
    await fetchCommand([`${gw.url}/joke`], { ...io, env: { ...io.env, FAREBOX_HOME: join(home, 'demo') } });
    io.stdout(
      '\n\nThe gateway keeps running: try the URLs above, or `npx farebox fetch` them. Ctrl-C stops it.\n',
    );
  }
  return await new Promise<number>((resolve) => {
    const stop = async () => {
      process.off('SIGHUP', reload);
      await gw.stop();
      upstream?.close();
      resolve(0);
    };
    const reload = async () => {
      if (!values.config) return;
      try {
        const next = await loadConfig(values.config);
        if (values.listen) next.listen = values.listen;
        await gw.reload(next);
        gw.logger.info({ msg: 'memory tuning', heapGrowingPercent: applyMemoryTuning(next) });
      } catch (e) {
        gw.logger.error({
          msg: 'reload failed; keeping the running configuration',
          error: (e as Error).message,
        });
      }
    };
    process.on('SIGHUP', reload);
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
}
