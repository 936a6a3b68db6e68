/**
 * The services app: the seeds' two paid endpoints on a farebox paywall, with the job book in
 * front of it, files, refunds, pages for people and discovery. One Web Standards handler,
 * `app.fetch(request)`; `serveServices` puts it on `node:http`.
 *
 * What a paid call meets, in order: the body is read once (size cap) → a request carrying a
 * token whose job exists is a *repeat*: the token is verified offline against this request
 * and the job answers (waiting if it runs) → otherwise the paywall decides (400 invalid,
 * 402 challenge, 401 refused credential, or paid) → a paid request starts the job, under a
 * per-token lock so that concurrent identical requests start one → the answer waits for the
 * job (`200 {"audioUrl"}`), or is `202` with a job URL for `Prefer: respond-async`.
 *
 * @module
 */
import { ErrorCodes, FareboxError } from '@farebox/core';
import {
  canIssue,
  canPay,
  DEV_NODE_NOTICE,
  type InvoiceIssuer,
  type LightningBackend,
  type Network,
  type Payer,
} from '@farebox/lightning';
import {
  corsHeaders,
  jsonResponse,
  MemoryStore,
  Paywall,
  type PaywallOptions,
  qrSvg,
  type RequestContext,
  refusal,
  type UsageStore,
} from '@farebox/server';
import type { ModelGenerator, MusicGenerator } from '../generators/types.js';
import { ASSETS } from './assets/index.js';
import { jsonBody, readBody } from './body.js';
import { ServiceCodes } from './codes.js';
import { parseServicesConfig, type ServicesConfig } from './config.js';
import { jsonRequestBinding, tokenOf, verifyForJob } from './credential.js';
import { fileResponse } from './file-response.js';
import { FILE_ID, type FileStore, MemoryFileStore, type StoredFileInfo } from './files.js';
import { generatorsFromConfig } from './generators-config.js';
import { JobBook, type JobRecord } from './jobs.js';
import { renderHome } from './pages/home.js';
import { renderTry } from './pages/try.js';
import { claimRefund, refundOf } from './refund.js';
import { defineServices, routeOf, type ServiceDefinition } from './services.js';

/** Options for {@link createServicesApp}. */
export interface ServicesAppOptions {
  /** The Lightning backend that issues invoices (and pays refunds when it can pay). */
  lightning: LightningBackend;
  /** The generators (default: those the configuration names, the embedded ones unless told). */
  generators?: { music: MusicGenerator; model: ModelGenerator };
  /** The configuration (checked with `parseServicesConfig`); defaults for what is missing. */
  config?: ServicesConfig | Record<string, unknown>;
  /** Token secret: bytes, hex or base64 (default: `config.secret`, else random). */
  secret?: PaywallOptions['secret'];
  /** Where finished jobs and token uses are kept (default: memory). */
  store?: UsageStore;
  /** Where files are kept (default: memory). */
  files?: FileStore;
  /** The dev node: no real money (default: when the backend is `dev`). Shows the notice, offers the dev wallet. */
  dev?: boolean;
  /** Clock, ms. */
  now?: () => number;
  /** Every job state change (for logs). */
  onJob?: (job: JobRecord) => void;
}

/** The app. */
export interface ServicesApp {
  /** Answers one request (Web Standards). */
  fetch(req: Request, ctx?: RequestContext): Promise<Response>;
  readonly paywall: Paywall;
  readonly jobs: JobBook;
  readonly files: FileStore;
  readonly config: ServicesConfig;
  readonly services: readonly ServiceDefinition[];
  /** Whether refused generations can be refunded (refunds on and the backend can pay). */
  readonly refunds: boolean;
  /** The generators in use. */
  readonly generators: { music: MusicGenerator; model: ModelGenerator };
  /** The notice shown everywhere ("dev node: no real money"), if any. */
  readonly notice: string | undefined;
  /** Stops: running jobs fail (their tokens are released), timers stop. */
  close(): Promise<void>;
}

function isConfig(c: unknown): c is ServicesConfig {
  return typeof c === 'object' && c !== null && 'prices' in c && 'files' in c && 'timeoutSeconds' in c;
}

function prefersAsync(req: Request): boolean {
  // RFC 7240 §4.1: `Prefer: respond-async` (among other preferences, any case).
  const p = req.headers.get('prefer');
  return p ? p.split(/[,;]/).some((x) => x.trim().toLowerCase() === 'respond-async') : false;
}

/**
 * Builds the app.
 *
 * @example
 * ```ts
 * import { DevNode } from '@farebox/lightning';
 * import { createServicesApp, serveServices } from '@farebox/services';
 * // The embedded generators (offline, CPU) unless `generators` or the config says otherwise.
 * const app = await createServicesApp({ lightning: new DevNode() });
 * const { url } = await serveServices(app, { port: 8402 });
 * ```
 */
export async function createServicesApp(opts: ServicesAppOptions): Promise<ServicesApp> {
  const lightning = opts.lightning;
  if (!lightning || !canIssue(lightning)) {
    throw new FareboxError(
      ErrorCodes.INVALID_ARGUMENT,
      '"lightning" must be a backend that issues invoices',
      {
        data: { parameter: 'lightning' },
      },
    );
  }
  const config = isConfig(opts.config) ? opts.config : parseServicesConfig(opts.config ?? {});
  const generators = opts.generators ?? generatorsFromConfig(config, {});
  if (!generators.music?.generate || !generators.model?.generate) {
    throw new FareboxError(ErrorCodes.INVALID_ARGUMENT, '"generators" must have music and model', {
      data: { parameter: 'generators' },
    });
  }
  const now = opts.now ?? (() => Date.now());
  const dev = opts.dev ?? lightning.backend === 'dev';
  const notice = dev ? DEV_NODE_NOTICE : undefined;
  const store = opts.store ?? new MemoryStore({ now });
  const files: FileStore = opts.files ?? new MemoryFileStore({ now });
  const services = defineServices(config, generators);
  let network: Network | undefined;
  try {
    network = (await lightning.getInfo({ timeoutMs: 10_000 })).network;
  } catch {
    // Unknown for now: discovery says so, and refunds skip the network check.
  }
  const payer: Payer | undefined = config.refunds && canPay(lightning) ? (lightning as Payer) : undefined;
  const secret =
    opts.secret ??
    config.secret ??
    crypto.getRandomValues(new Uint8Array(32)) /* tokens die with the process */;

  const paywall = new Paywall({
    secret,
    lightning: lightning as InvoiceIssuer,
    store,
    now,
    routes: services.map(routeOf),
    invoiceExpirySeconds: config.invoiceExpirySeconds,
    location: 'farebox-services',
    ...(notice ? { notice } : {}),
    ...(network ? { network } : {}),
    ...(dev && canPay(lightning) ? { devWallet: lightning as Payer } : {}),
    ...(config.cors ? { cors: true } : {}),
    discovery: {
      title: config.title,
      description:
        'Songs from a prompt and lyrics, 3D models from an image, paid per call over Lightning (L402). Send the request, pay the 402 invoice, send the identical request again with Authorization: L402 <macaroon>:<preimage>.',
      ...(config.publicUrl ? { baseUrl: config.publicUrl } : {}),
    },
    events: {
      // The try pages poll `/.well-known/l402/invoices/<hash>` for the preimage of the invoices
      // they show, as the paywall's own payment page does. The preimage alone grants nothing:
      // the macaroon, given only to the requester, is needed too.
      challenge: (e) => {
        void store.put(`page:${e.paymentHash}`, '1', config.invoiceExpirySeconds + 3600).catch(() => {});
      },
    },
  });

  const jobs = new JobBook({
    store,
    ttlSeconds: config.files.ttlSeconds,
    concurrency: config.concurrency,
    timeoutMs: config.timeoutSeconds * 1000,
    now,
    ...(opts.onJob ? { onChange: opts.onJob } : {}),
  });

  const sweeper = setInterval(() => void files.sweep().catch(() => {}), 60_000);
  sweeper.unref?.();

  const baseOf = (req: Request) => config.publicUrl ?? new URL(req.url).origin;
  const fileUrl = (info: StoredFileInfo, base: string) =>
    files.publicUrl?.(info) ?? `${base}/files/${info.id}.${info.extension}`;
  const jobUrl = (id: string, base: string) => `${base}/api/l402/jobs/${id}`;
  const byPath = new Map(services.map((s) => [s.path, s]));
  const byName = new Map(services.map((s) => [s.name, s]));

  function refundInfo(job: JobRecord, base: string): Record<string, unknown> | null {
    if (!payer) return null;
    return {
      url: `${base}/api/l402/refund`,
      amount_sats: Number(BigInt(job.amountMsat)) / 1000,
      how: `POST {"invoice": "<your BOLT11 invoice for exactly ${job.amountMsat} msat>"} with the same Authorization header`,
    };
  }

  /** The JSON view of a job, for polls and 202 answers. */
  async function jobView(job: JobRecord, base: string): Promise<Record<string, unknown>> {
    const svc = byName.get(job.service as ServiceDefinition['name']);
    const v: Record<string, unknown> = {
      id: job.id,
      service: job.service,
      status: job.state,
      progress: Math.round(job.progress * 1000) / 1000,
    };
    if (job.stage) v.stage = job.stage;
    v.created_at = new Date(job.createdAt).toISOString();
    if (job.finishedAt) v.finished_at = new Date(job.finishedAt).toISOString();
    v.job_url = jobUrl(job.id, base);
    if (job.state === 'succeeded' && job.file && svc) {
      v.result = { [svc.resultKey]: fileUrl(job.file, base) };
      v.expires_at = new Date(job.file.expiresAt).toISOString();
      if (job.metadata) v.metadata = job.metadata;
    }
    if (job.error) v.error = job.error;
    if (job.state === 'failed') v.retry = 'repeat the original request with the same Authorization header';
    if (job.state === 'refused') {
      const r = await refundOf(store, job.id);
      v.refund = r ? { status: r.state, payment_hash: r.paymentHash } : refundInfo(job, base);
    }
    return v;
  }

  /** The answer to a paid request once its job has ended (or right away, async). */
  async function answer(req: Request, job: JobRecord): Promise<Response> {
    const base = baseOf(req);
    const live = jobs.wait(job.id);
    if (live && prefersAsync(req)) {
      const url = jobUrl(job.id, base);
      return jsonResponse(202, await jobView(job, base), {
        location: url,
        'retry-after': '2',
        'preference-applied': 'respond-async',
      });
    }
    const done = live ? await live : job;
    const svc = byName.get(done.service as ServiceDefinition['name'])!;
    if (done.state === 'succeeded' && done.file) {
      return jsonResponse(200, { [svc.resultKey]: fileUrl(done.file, base) });
    }
    if (done.state === 'refused') {
      const refund = refundInfo(done, base);
      return refusal(
        422,
        ServiceCodes.GENERATION_REFUSED,
        `${done.error?.message ?? 'the generator refused this input'}; ${refund ? 'you may claim a refund' : 'refunds are not available here'}`,
        { data: { refund } },
      );
    }
    return refusal(
      503,
      ServiceCodes.GENERATION_FAILED,
      `${done.error?.message ?? 'the generation failed'}; nothing was used: repeat the same request with the same Authorization header`,
      { headers: { 'retry-after': '5' } },
    );
  }

  async function paid(req: Request, svc: ServiceDefinition, ctx: RequestContext): Promise<Response> {
    let bytes: Uint8Array<ArrayBuffer>;
    try {
      bytes = await readBody(req, svc.maxBodyBytes);
    } catch (e) {
      if (e instanceof FareboxError && e.code === ErrorCodes.TOO_LARGE)
        return refusal(413, e.code, `${e.message}; nothing was charged`);
      return refusal(400, ErrorCodes.INVALID_REQUEST, 'the request body could not be read');
    }
    const again = () =>
      new Request(req.url, {
        method: req.method,
        headers: req.headers,
        body: bytes,
      });
    const decide = async () => {
      const d = await paywall.decide(again(), ctx);
      if (d.type === 'respond') return d.response;
      await d.settle(500);
      return refusal(500, 'INTERNAL', 'this service has no price configured');
    };
    const tok = tokenOf(req);
    if (!tok) return decide();
    const url = new URL(req.url);
    const body = jsonBody(req, bytes);
    const outcome = await jobs.withLock(tok.tokenId, async (): Promise<Response | JobRecord> => {
      const job = await jobs.get(tok.tokenId);
      if (job && job.state !== 'failed' && job.service === svc.name) {
        try {
          await verifyForJob({
            paywall,
            job,
            cred: tok.cred,
            binding: jsonRequestBinding(req.method, url, body),
            now: now(),
          });
          return job; // a repeat: the job answers
        } catch {
          // Another body, a wrong preimage, an expired token: the paywall says which (401 or 400).
        }
      }
      const d = await paywall.decide(again(), ctx);
      if (d.type === 'respond') return d.response;
      if (d.type === 'pass') {
        await d.settle(500);
        return refusal(500, 'INTERNAL', 'this service has no price configured');
      }
      const checked = svc.check(body);
      if (!checked.ok) {
        await d.settle(400);
        return refusal(400, ErrorCodes.INVALID_REQUEST, 'the request is invalid', {
          data: { fields: checked.errors },
        });
      }
      void jobs.start(
        {
          id: d.token.tokenId,
          service: svc.name,
          route: d.route,
          binding: d.token.grant.requestHash ?? '',
          paymentHash: d.receipt.paymentHash,
          amountMsat: d.receipt.amountMsat.toString(),
        },
        async ({ signal, onProgress }) => {
          const file = await svc.generate(checked.value, { signal, onProgress });
          onProgress(0.99, 'storing');
          const info = await files.put(file, config.files.ttlSeconds);
          return file.metadata ? { file: info, metadata: file.metadata } : { file: info };
        },
        d.settle,
      );
      return (await jobs.get(d.token.tokenId))!;
    });
    return outcome instanceof Response ? outcome : answer(req, outcome);
  }

  async function jobStatus(req: Request, id: string): Promise<Response> {
    const tok = tokenOf(req);
    if (!tok)
      return refusal(
        401,
        ServiceCodes.CREDENTIAL_REQUIRED,
        'send the Authorization: L402 header that paid for this job',
      );
    const job = tok.tokenId === id ? await jobs.get(id) : undefined;
    if (!job) return refusal(404, ServiceCodes.JOB_NOT_FOUND, 'no job for this token');
    try {
      await verifyForJob({ paywall, job, cred: tok.cred, binding: job.binding, now: now() });
    } catch (e) {
      const err = e instanceof FareboxError ? e : undefined;
      return refusal(401, err?.code ?? ErrorCodes.MALFORMED_HEADER, err?.message ?? 'invalid credential');
    }
    const running = job.state === 'queued' || job.state === 'running';
    return jsonResponse(200, await jobView(job, baseOf(req)), running ? { 'retry-after': '2' } : {});
  }

  async function refund(req: Request): Promise<Response> {
    const tok = tokenOf(req);
    if (!tok)
      return refusal(
        401,
        ServiceCodes.CREDENTIAL_REQUIRED,
        'send the Authorization: L402 header that paid for the job',
      );
    const job = await jobs.get(tok.tokenId);
    if (!job) return refusal(404, ServiceCodes.JOB_NOT_FOUND, 'no job for this token');
    try {
      await verifyForJob({ paywall, job, cred: tok.cred, binding: job.binding, now: now() });
    } catch (e) {
      const err = e instanceof FareboxError ? e : undefined;
      return refusal(401, err?.code ?? ErrorCodes.MALFORMED_HEADER, err?.message ?? 'invalid credential');
    }
    let invoice: unknown;
    try {
      invoice = jsonBody(req, await readBody(req, 8 * 1024)) as unknown;
    } catch {
      invoice = undefined;
    }
    return claimRefund({
      job,
      invoice: (invoice as { invoice?: unknown } | undefined)?.invoice,
      store,
      payer,
      network,
      now: now(),
    });
  }

  async function file(req: Request, name: string): Promise<Response> {
    const dot = name.lastIndexOf('.');
    const id = dot < 0 ? name : name.slice(0, dot);
    if (!FILE_ID.test(id)) return refusal(404, ServiceCodes.FILE_NOT_FOUND, 'no such file');
    const f = await files.get(id);
    if (f === 'expired') return refusal(410, ServiceCodes.FILE_EXPIRED, 'this file has expired');
    if (!f || (dot >= 0 && name.slice(dot + 1) !== f.extension))
      return refusal(404, ServiceCodes.FILE_NOT_FOUND, 'no such file');
    return fileResponse(req, f, now());
  }

  const pageInput = {
    services,
    config,
    notice,
    refunds: payer !== undefined,
    devWallet: dev && canPay(lightning),
  };

  async function route(req: Request, ctx: RequestContext): Promise<Response> {
    const url = new URL(req.url);
    const path = url.pathname;
    const get = req.method === 'GET' || req.method === 'HEAD';
    const svc = byPath.get(path);
    if (svc) {
      if (req.method === 'POST') return paid(req, svc, ctx);
      if (req.method !== 'OPTIONS')
        return refusal(405, ServiceCodes.NOT_FOUND, `use POST ${path}`, { headers: { allow: 'POST' } });
    }
    if (get) {
      if (path === '/' || path === '/index.html') return renderHome({ ...pageInput, base: baseOf(req) });
      const trySvc = services.find((s) => s.tryPath === path);
      if (trySvc) return renderTry({ ...pageInput, service: trySvc, base: baseOf(req) });
      if (path.startsWith('/assets/')) {
        const a = ASSETS[path.slice('/assets/'.length)];
        if (a)
          return new Response(a.body, {
            headers: {
              'content-type': a.type,
              'cache-control': 'public, max-age=3600',
              'x-content-type-options': 'nosniff',
            },
          });
      }
      if (path === '/qr.svg') {
        // The try pages' QR codes: invoices only, upper case for QR's compact alphanumeric mode.
        const text = url.searchParams.get('invoice') ?? '';
        if (!/^(lightning:)?ln[a-z0-9]{10,2000}$/i.test(text))
          return refusal(400, ErrorCodes.INVALID_REQUEST, 'expected ?invoice=<BOLT11 invoice>');
        const svg = qrSvg(`LIGHTNING:${text.replace(/^lightning:/i, '').toUpperCase()}`, {
          alphanumeric: true,
          label: 'QR code of the Lightning invoice',
        });
        return new Response(svg, {
          headers: {
            'content-type': 'image/svg+xml',
            'cache-control': 'no-store',
            'x-content-type-options': 'nosniff',
          },
        });
      }
      if (path.startsWith('/files/')) return file(req, path.slice('/files/'.length));
      if (path.startsWith('/api/l402/jobs/')) return jobStatus(req, path.slice('/api/l402/jobs/'.length));
      if (path === '/healthz') return jsonResponse(200, { ok: true, jobs: jobs.active });
    }
    if (req.method === 'POST' && path === '/api/l402/refund') return refund(req);
    // farebox's own endpoints: discovery, invoice status for the pages, the dev wallet, CORS preflight.
    const d = await paywall.decide(req, ctx);
    if (d.type === 'respond') return d.response;
    await d.settle(404);
    return refusal(404, ServiceCodes.NOT_FOUND, `nothing at ${req.method} ${path}; see / for the services`);
  }

  return {
    paywall,
    jobs,
    files,
    config,
    services,
    generators,
    notice,
    refunds: payer !== undefined,
    async fetch(req: Request, ctx: RequestContext = {}): Promise<Response> {
      let res: Response;
      try {
        res = await route(req, ctx);
      } catch {
        res = refusal(500, 'INTERNAL', 'internal error');
      }
      const cors = corsHeaders(config.cors, req);
      if (cors && !res.headers.has('access-control-allow-origin')) {
        res = new Response(res.body, res);
        for (const [k, v] of Object.entries(cors)) res.headers.set(k, v);
      }
      return res;
    },
    async close() {
      clearInterval(sweeper);
      await jobs.close();
    },
  };
}
