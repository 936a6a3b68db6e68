/**
 * The job book: one generation per paid token, whatever happens on the wire.
 *
 * The paywall's per-request token is single-use: its use is reserved when the paid request
 * arrives and committed when the handler answers below 500. A client whose connection
 * dropped, or that sent the request twice at once, would then meet 402 `TOKEN_USED` or 409
 * `TOKEN_IN_USE`. The job book sits in front of that: every paid generation is a job keyed
 * by the token id; a repeat of the paid request (or a poll of the job) is answered from the
 * job, never by a second generation. So:
 *
 * - **concurrent identical requests**: the first creates the job under a per-token lock, the
 *   others find it and wait for the same result;
 * - **repeat after success**: the finished job is kept in the usage store (so a shared store
 *   serves it from any instance) and answered again;
 * - **failure burns nothing**: a failed job is not kept as a result, and its use is released,
 *   so the same token starts a new job;
 * - **refusal**: a job the generator refuses for good is kept as `refused` (refundable).
 *
 * Running jobs live in this process; finished ones in the store for `ttlSeconds`.
 *
 * @module
 */
import type { UsageStore } from '@farebox/server';
import { GenerationError } from '../generators/types.js';
import { ServiceCodes } from './codes.js';
import type { StoredFileInfo } from './files.js';

/** Where a job stands. `failed` jobs can be started again with the same token. */
export type JobState = 'queued' | 'running' | 'succeeded' | 'refused' | 'failed';

/** A job: one paid generation. */
export interface JobRecord {
  /** The token id (hex): one job per token. */
  id: string;
  /** Service name (`music`, `3d-model`): the token's service. */
  service: string;
  /** `POST /api/l402/music`. */
  route: string;
  /** The request binding the paywall verified the token against (its `farebox_request` caveat). */
  binding: string;
  paymentHash: string;
  /** What was paid, msat (decimal string). */
  amountMsat: string;
  state: JobState;
  /** 0..1. */
  progress: number;
  stage?: string;
  /** Unix ms. */
  createdAt: number;
  finishedAt?: number;
  /** The generated file, once succeeded. */
  file?: StoredFileInfo;
  /** What the generator told about the file (tempo, key, vertex count, …). */
  metadata?: Record<string, unknown>;
  /** Why it failed or was refused. */
  error?: { code: string; message: string };
}

/** What a job's work returns. */
export interface JobOutput {
  file: StoredFileInfo;
  metadata?: Record<string, unknown>;
}

/** What the work function gets. */
export interface JobContext {
  signal: AbortSignal;
  onProgress: (fraction: number, stage?: string) => void;
}

interface Live {
  record: JobRecord;
  done: Promise<JobRecord>;
  dropTimer?: ReturnType<typeof setTimeout>;
}

const KEY = (id: string) => `services:job:${id}`;
/** How long a failed job stays visible to pollers (it is not a result; the token is free again). */
const FAILED_VISIBLE_MS = 10 * 60_000;

/** Options for {@link JobBook}. */
export interface JobBookOptions {
  /** Where finished jobs are kept (the paywall's store, so every instance sees them). */
  store: UsageStore;
  /** How long finished jobs are kept, seconds (the files' lifetime). */
  ttlSeconds: number;
  /** Generations at once (more wait, `queued`). Default 2. */
  concurrency?: number;
  /** Longest one generation may take, ms. Default 300,000. */
  timeoutMs?: number;
  /** Clock, ms. */
  now?: () => number;
  /** Called on every state change (for logs). */
  onChange?: (job: JobRecord) => void;
}

/**
 * @example
 * ```ts
 * import { JobBook } from '@farebox/services';
 * import { MemoryStore } from '@farebox/server';
 * const jobs = new JobBook({ store: new MemoryStore(), ttlSeconds: 86_400 });
 * ```
 */
export class JobBook {
  readonly #store: UsageStore;
  readonly #ttl: number;
  readonly #concurrency: number;
  readonly #timeoutMs: number;
  readonly #now: () => number;
  readonly #onChange: ((job: JobRecord) => void) | undefined;
  readonly #live = new Map<string, Live>();
  readonly #locks = new Map<string, Promise<unknown>>();
  readonly #queue: (() => void)[] = [];
  readonly #closing = new AbortController();
  #running = 0;

  constructor(opts: JobBookOptions) {
    this.#store = opts.store;
    this.#ttl = opts.ttlSeconds;
    this.#concurrency = opts.concurrency ?? 2;
    this.#timeoutMs = opts.timeoutMs ?? 300_000;
    this.#now = opts.now ?? (() => Date.now());
    this.#onChange = opts.onChange;
  }

  /** The job of a token: a live one (queued, running, recently failed) or a finished one. */
  async get(id: string): Promise<JobRecord | undefined> {
    const live = this.#live.get(id);
    if (live) return live.record;
    const saved = await this.#store.get(KEY(id));
    if (!saved) return undefined;
    try {
      return JSON.parse(saved) as JobRecord;
    } catch {
      return undefined;
    }
  }

  /** Resolves when a live job ends (with its final record); undefined when it is not running here. */
  wait(id: string): Promise<JobRecord> | undefined {
    const live = this.#live.get(id);
    return live && (live.record.state === 'queued' || live.record.state === 'running')
      ? live.done
      : undefined;
  }

  /** Runs `fn` alone for this token id: the check-then-start of a job is atomic in this process. */
  async withLock<T>(id: string, fn: () => Promise<T>): Promise<T> {
    const before = this.#locks.get(id) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((r) => {
      release = r;
    });
    const chain = before.then(() => mine);
    this.#locks.set(id, chain);
    await before;
    try {
      return await fn();
    } finally {
      release();
      if (this.#locks.get(id) === chain) this.#locks.delete(id);
    }
  }

  /**
   * Starts a job (call under {@link withLock}). `work` generates and stores the file;
   * `settle` tells the paywall how it went (200 commits the token's use, 422 too, 503
   * releases it). Resolves with the final record; never rejects.
   */
  start(
    record: Omit<JobRecord, 'state' | 'progress' | 'createdAt'>,
    work: (ctx: JobContext) => Promise<JobOutput>,
    settle: (status: number) => Promise<void>,
  ): Promise<JobRecord> {
    const old = this.#live.get(record.id);
    if (old?.dropTimer) clearTimeout(old.dropTimer);
    const job: JobRecord = { ...record, state: 'queued', progress: 0, createdAt: this.#now() };
    const live: Live = { record: job, done: Promise.resolve(job) };
    this.#live.set(job.id, live);
    live.done = this.#run(live, work, settle);
    return live.done;
  }

  async #slot(): Promise<void> {
    if (this.#running < this.#concurrency) {
      this.#running++;
      return;
    }
    await new Promise<void>((r) => this.#queue.push(r));
  }

  #freeSlot(): void {
    const next = this.#queue.shift();
    if (next) next();
    else this.#running--;
  }

  #changed(job: JobRecord): void {
    try {
      this.#onChange?.(job);
    } catch {
      // A logger's failure never changes a job.
    }
  }

  async #run(
    live: Live,
    work: (ctx: JobContext) => Promise<JobOutput>,
    settle: (status: number) => Promise<void>,
  ): Promise<JobRecord> {
    const job = live.record;
    this.#changed(job);
    await this.#slot();
    job.state = 'running';
    job.stage = 'starting';
    this.#changed(job);
    const timeout = AbortSignal.timeout(this.#timeoutMs);
    const signal = AbortSignal.any([timeout, this.#closing.signal]);
    let outcome:
      | { state: 'succeeded'; file: StoredFileInfo; metadata?: Record<string, unknown> }
      | { state: 'refused' | 'failed'; error: { code: string; message: string } };
    try {
      const aborted = new Promise<never>((_, reject) => {
        const fail = () =>
          reject(
            new GenerationError(
              'temporary',
              timeout.aborted
                ? `the generation took longer than ${Math.round(this.#timeoutMs / 1000)} s`
                : 'the server is shutting down',
            ),
          );
        if (signal.aborted) fail();
        else signal.addEventListener('abort', fail, { once: true });
      });
      if (signal.aborted) await aborted;
      const out = await Promise.race([
        work({
          signal,
          onProgress: (fraction, stage) => {
            if (job.state !== 'running' || !Number.isFinite(fraction)) return;
            job.progress = Math.min(0.99, Math.max(job.progress, fraction));
            if (stage) job.stage = stage;
          },
        }),
        aborted,
      ]);
      outcome = { state: 'succeeded', file: out.file, ...(out.metadata ? { metadata: out.metadata } : {}) };
    } catch (e) {
      const refused = e instanceof GenerationError && e.kind === 'refused';
      outcome = {
        state: refused ? 'refused' : 'failed',
        error: {
          code: refused ? ServiceCodes.GENERATION_REFUSED : ServiceCodes.GENERATION_FAILED,
          message: e instanceof GenerationError ? e.message : 'the generation failed',
        },
      };
    } finally {
      this.#freeSlot();
    }
    // The end of a job is atomic for requests with its token: the result is kept and the
    // paywall told (commit, or release for a failure) before a repeat can see the new state.
    await this.withLock(job.id, async () => {
      job.finishedAt = this.#now();
      job.state = outcome.state;
      delete job.stage;
      if (outcome.state === 'succeeded') {
        job.progress = 1;
        job.file = outcome.file;
        if (outcome.metadata) job.metadata = outcome.metadata;
      } else {
        job.error = outcome.error;
      }
      if (job.state !== 'failed') {
        await this.#store.put(KEY(job.id), JSON.stringify(job), this.#ttl).catch(() => {});
      }
      await settle(job.state === 'succeeded' ? 200 : job.state === 'refused' ? 422 : 503).catch(() => {});
      if (job.state === 'failed') {
        live.dropTimer = setTimeout(() => {
          if (this.#live.get(job.id) === live) this.#live.delete(job.id);
        }, FAILED_VISIBLE_MS);
        live.dropTimer.unref?.();
      } else if (this.#live.get(job.id) === live) {
        this.#live.delete(job.id);
      }
    });
    this.#changed(job);
    return job;
  }

  /** Jobs queued or running in this process. */
  get active(): number {
    let n = 0;
    for (const l of this.#live.values()) if (l.record.state === 'queued' || l.record.state === 'running') n++;
    return n;
  }

  /** Fails running jobs (their tokens are released, so clients can retry elsewhere) and waits for them. */
  async close(): Promise<void> {
    this.#closing.abort();
    for (const next of this.#queue.splice(0)) next();
    await Promise.all([...this.#live.values()].map((l) => l.done));
    for (const l of this.#live.values()) if (l.dropTimer) clearTimeout(l.dropTimer);
    this.#live.clear();
  }
}
