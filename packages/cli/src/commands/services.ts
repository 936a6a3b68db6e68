import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DEV_NODE_NOTICE, type LightningBackend, redactConnection } from '@farebox/lightning';
import { openBackend } from '@farebox/lightning/node';
import {
  createServicesApp,
  DirectoryFileStore,
  generatorsFromConfig,
  type JobRecord,
  parseServicesConfig,
  type ServicesApp,
  serveServices,
} from '@farebox/services';
import type { Io } from '../io.js';

export const servicesHelp = `Usage: farebox services [--port N] [--backend <connection>] [--config <file>]

Paid AI services sold per call over L402, with the contracts of the seeds:
  POST /api/l402/music      a song from a style prompt and lyrics   → {"audioUrl": "…"}
  POST /api/l402/3d-model   a 3D model (.glb) from an image         → {"modelUrl": "…"}
Unpaid calls get 402 with an invoice; the identical call with
"Authorization: L402 <macaroon>:<preimage>" gets the file's URL. The home page
is the guide (curl steps, prices, fields); /try/music and /try/3d-model pay
and play in a browser. Generators run offline on the CPU unless the config
names hosted ones.

Options:
  --port <n>            listening port (default 8402; 0 picks a free one)
  --host <address>      listening address (default 127.0.0.1)
  --backend <conn>      the Lightning backend that issues invoices (and pays
                        refunds when it can pay): lnd+rest://…, lnbits://…, nwc://…
                        (default: dev, the embedded dev node: no real money)
  -c, --config <file>   JSON configuration: prices, files, limits, generators
                        (see docs/services.md)
  --public-url <url>    public origin for the URLs in answers
  --json                log job events as JSON lines
  -h, --help            this help

Environment: FAREBOX_SERVICES_SECRET (token secret, hex; default: random per
run), and the API key variables a config's hosted generators name.
SIGTERM/SIGINT stop (running jobs fail and their tokens stay good for a retry).
`;

/** A started services app (for tests and embedding). */
export interface StartedServices {
  app: ServicesApp;
  url: string;
  backend: LightningBackend;
  close(): Promise<void>;
}

function jobLine(job: JobRecord): string | undefined {
  // Token ids share a key-id prefix: the tail tells jobs apart.
  const id = job.id.slice(-12);
  if (job.state === 'queued') return `job …${id} ${job.service}: paid, queued`;
  if (job.state === 'running') return undefined;
  const secs = job.finishedAt ? ((job.finishedAt - job.createdAt) / 1000).toFixed(1) : '?';
  if (job.state === 'succeeded')
    return `job …${id} ${job.service}: done in ${secs} s (${job.file?.size ?? 0} bytes)`;
  return `job …${id} ${job.service}: ${job.state} after ${secs} s: ${job.error?.message ?? ''}`;
}

/** Parses the options, opens the backend, builds and serves the app; prints where. */
export async function startServices(argv: string[], io: Io): Promise<StartedServices | number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      backend: { type: 'string' },
      config: { type: 'string', short: 'c' },
      'public-url': { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    io.stdout(servicesHelp);
    return 0;
  }
  let raw: Record<string, unknown> = {};
  if (values.config) {
    try {
      raw = JSON.parse(await readFile(values.config, 'utf8')) as Record<string, unknown>;
    } catch (e) {
      io.stderr(`farebox services: cannot read ${values.config}: ${(e as Error).message}\n`);
      return 2;
    }
  }
  if (values.port !== undefined) {
    const port = Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      io.stderr('farebox services: --port must be 0..65535\n');
      return 2;
    }
    raw.port = port;
  }
  if (values.host) raw.host = values.host;
  if (values.backend) raw.backend = values.backend;
  if (values['public-url']) raw.publicUrl = values['public-url'];
  const secret = io.env.FAREBOX_SERVICES_SECRET;
  if (secret && raw.secret === undefined) raw.secret = secret;
  const config = parseServicesConfig(raw);
  if (config.files.dir && values.config) config.files.dir = resolve(values.config, '..', config.files.dir);

  const backend = await openBackend(config.backend);
  const log = (line: string, o: Record<string, unknown>) =>
    values.json
      ? io.stdout(`${JSON.stringify({ time: new Date().toISOString(), ...o })}\n`)
      : io.stdout(`${line}\n`);
  let app: ServicesApp;
  try {
    app = await createServicesApp({
      lightning: backend,
      config,
      generators: generatorsFromConfig(config, io.env),
      ...(config.files.dir
        ? {
            files: new DirectoryFileStore({
              dir: config.files.dir,
              ...(config.files.publicBaseUrl ? { publicBaseUrl: config.files.publicBaseUrl } : {}),
            }),
          }
        : {}),
      onJob: (job) => {
        const line = jobLine(job);
        if (line)
          log(line, {
            event: 'job',
            id: job.id,
            service: job.service,
            state: job.state,
            error: job.error?.code,
          });
      },
    });
  } catch (e) {
    await backend.close?.();
    throw e;
  }
  const served = await serveServices(app, { port: config.port, host: config.host });
  const url = served.url;
  const pad = (s: string, n: number) => s.padEnd(n);
  const lines = [
    '',
    `farebox services — ${config.title}`,
    app.notice
      ? `⚠ ${DEV_NODE_NOTICE} — the embedded dev Lightning node (regtest) issues the invoices and its dev wallet pays them`
      : `backend  ${redactConnection(config.backend)} (${backend.backend})`,
    '',
    `  guide        ${url}/`,
    ...app.services.map(
      (s) =>
        `  ${pad(s.name, 12)} ${s.method} ${pad(`${url}${s.path}`, url.length + 20)} ${s.priceText}   try it: ${url}${s.tryPath}`,
    ),
    `  async jobs   add "Prefer: respond-async", then GET ${url}/api/l402/jobs/<id> with the same Authorization`,
    `  refunds      ${app.refunds ? `POST ${url}/api/l402/refund (of refused generations; the backend pays)` : 'off (the backend cannot pay, or "refunds": false)'}`,
    `  discovery    ${url}/.well-known/l402-services   ${url}/llms.txt   ${url}/openapi.json`,
    `  generators   music: ${app.generators.music.name} · 3d-model: ${app.generators.model.name}`,
    `  files        ${config.files.dir ? config.files.dir : 'in memory'}, kept ${Math.round(config.files.ttlSeconds / 3600)} h${config.files.publicBaseUrl ? `, published at ${config.files.publicBaseUrl}` : ''}`,
    '',
    'Buy a song from the command line:',
    `  npx farebox fetch -d '{"prompt":"upbeat pop song about summer vibes","lyrics":"Walking on the beach, sun is shining bright, every day feels right","model":"Music Generation"}' ${url}/api/l402/music`,
    '',
  ];
  if (values.json)
    log('', {
      event: 'listening',
      url,
      notice: app.notice,
      services: app.services.map((s) => ({ name: s.name, path: s.path, price: s.priceText })),
    });
  else io.stdout(lines.join('\n'));
  return {
    app,
    url,
    backend,
    close: async () => {
      await served.close();
      await backend.close?.();
    },
  };
}

/** `farebox services`: runs until SIGINT/SIGTERM. */
export async function servicesCommand(argv: string[], io: Io): Promise<number> {
  const started = await startServices(argv, io);
  if (typeof started === 'number') return started;
  return await new Promise<number>((done) => {
    const stop = async () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      await started.close();
      done(0);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}
