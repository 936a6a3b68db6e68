/**
 * Real Redis and PostgreSQL for the store tests: Debian's `redis-server` and PostgreSQL
 * (15 here) started on free loopback ports with their state in a temp dir, and stopped
 * (dir removed) by {@link stopServices}. One of each per test process; starting twice
 * returns the running one. Servers left behind by a killed run are reaped at the next
 * start (their dir names carry the owning pid).
 *
 * A missing binary is installed with `scripts/install-deps` (apt-get; root or sudo).
 */
import { execFile, execFileSync } from 'node:child_process';
import { accessSync, chmodSync, chownSync, constants, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const INSTALL_DEPS = fileURLToPath(new URL('../../../../scripts/install-deps', import.meta.url));
const DIR_PREFIX = 'farebox-services-';

export interface RedisService {
  url: string;
  port: number;
  pid: number;
  /** Milliseconds from spawn to the first PONG. */
  startMs: number;
}

export interface PostgresService {
  /** `postgres://postgres@127.0.0.1:PORT/postgres` (trust auth, no password). */
  url: string;
  port: number;
  dataDir: string;
  /** Milliseconds for initdb, and from `pg_ctl start` to ready. */
  initdbMs: number;
  startMs: number;
}

interface State {
  dir?: string;
  redis?: Promise<RedisService>;
  postgres?: Promise<PostgresService>;
  pgUser?: { uid: number; gid: number } | undefined;
  pgBin?: string;
}
const state: State = {};

function findExecutable(name: string, extra: string[] = []): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/usr/bin', ...extra];
  for (const d of dirs) {
    if (!d) continue;
    const p = join(d, name);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {}
  }
  return undefined;
}

function ensureInstalled(name: 'redis' | 'postgres', find: () => string | undefined): string {
  const found = find();
  if (found) return found;
  try {
    execFileSync(INSTALL_DEPS, [name], { stdio: 'pipe' });
  } catch (e) {
    const out = `${(e as { stdout?: Buffer }).stdout ?? ''}${(e as { stderr?: Buffer }).stderr ?? ''}`;
    throw new Error(`${name} is not installed and scripts/install-deps ${name} failed:\n${out}`);
  }
  const again = find();
  if (!again) throw new Error(`${name} is still missing after scripts/install-deps ${name}`);
  return again;
}

/** A port nothing listens on right now (the OS picks it). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
  // A daemon that exited stays a zombie where PID 1 does not reap (containers): dead.
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true;
  }
}

function readPid(file: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(file, 'utf8').split('\n')[0] ?? '', 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function killFromPidFile(file: string, signal: NodeJS.Signals): void {
  const pid = readPid(file);
  if (pid && alive(pid)) {
    try {
      process.kill(pid, signal);
    } catch {}
  }
}

/** Stops servers and removes dirs left by test processes that no longer exist. */
function reapStale(): void {
  let names: string[];
  try {
    names = readdirSync(tmpdir());
  } catch {
    return;
  }
  for (const name of names) {
    const m = new RegExp(`^${DIR_PREFIX}(\\d+)-`).exec(name);
    if (!m || alive(Number(m[1]))) continue;
    const dir = join(tmpdir(), name);
    killFromPidFile(join(dir, 'redis.pid'), 'SIGKILL');
    killFromPidFile(join(dir, 'pg', 'data', 'postmaster.pid'), 'SIGQUIT');
    try {
      execFileSync('rm', ['-rf', dir]);
    } catch {}
  }
}

async function baseDir(): Promise<string> {
  if (!state.dir) {
    reapStale();
    state.dir = await mkdtemp(join(tmpdir(), `${DIR_PREFIX}${process.pid}-`));
    // The postgres user must reach its data dir below this one.
    chmodSync(state.dir, 0o711);
    // Last resort when a run is killed between start and stop: no daemons survive us.
    process.once('exit', stopSync);
  }
  return state.dir;
}

function stopSync(): void {
  const dir = state.dir;
  if (!dir) return;
  killFromPidFile(join(dir, 'redis.pid'), 'SIGKILL');
  killFromPidFile(join(dir, 'pg', 'data', 'postmaster.pid'), 'SIGQUIT');
  try {
    execFileSync('rm', ['-rf', dir]);
  } catch {}
}

/** Sends PING over RESP until a PONG comes back. */
async function pingRedis(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const sock = createConnection({ host: '127.0.0.1', port });
      let buf = '';
      sock.setTimeout(500, () => sock.destroy());
      sock.on('connect', () => sock.write('PING\r\n'));
      sock.on('data', (d) => {
        buf += d.toString();
        if (buf.includes('\r\n')) {
          sock.end();
          resolve(buf.startsWith('+PONG'));
        }
      });
      sock.on('error', () => resolve(false));
      sock.on('close', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`redis-server on port ${port} did not answer PING`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Starts (once per process) a redis-server on a free loopback port, without persistence. */
export function startRedis(): Promise<RedisService> {
  state.redis ??= (async () => {
    const bin = ensureInstalled('redis', () => findExecutable('redis-server'));
    const dir = await baseDir();
    const pidfile = join(dir, 'redis.pid');
    let lastError: unknown;
    for (let attempt = 0; attempt < 3; attempt++) {
      const port = await freePort();
      const t0 = performance.now();
      try {
        // --daemonize returns at once; readiness is the first PONG.
        await run(bin, [
          '--port',
          String(port),
          '--bind',
          '127.0.0.1',
          '--save',
          '',
          '--appendonly',
          'no',
          '--daemonize',
          'yes',
          '--pidfile',
          pidfile,
          '--dir',
          dir,
          '--logfile',
          join(dir, 'redis.log'),
        ]);
        await pingRedis(port, 10_000);
        const pid = readPid(pidfile) ?? 0;
        return { url: `redis://127.0.0.1:${port}`, port, pid, startMs: Math.round(performance.now() - t0) };
      } catch (e) {
        lastError = e; // most likely the port was taken in between: try another
        killFromPidFile(pidfile, 'SIGKILL');
      }
    }
    throw new Error(`redis-server did not start: ${(lastError as Error)?.message}`, { cause: lastError });
  })();
  return state.redis;
}

function findPgBin(): string | undefined {
  const fromPath = findExecutable('initdb');
  if (fromPath && findExecutable('pg_ctl')) return join(fromPath, '..');
  // Debian keeps them out of PATH, one dir per major version; take the newest.
  let versions: string[] = [];
  try {
    versions = readdirSync('/usr/lib/postgresql')
      .filter((v) => /^\d+$/.test(v))
      .sort((a, b) => Number(b) - Number(a));
  } catch {}
  for (const v of versions) {
    const bin = `/usr/lib/postgresql/${v}/bin`;
    try {
      accessSync(join(bin, 'initdb'), constants.X_OK);
      return bin;
    } catch {}
  }
  return undefined;
}

/** initdb refuses root: as root, run PostgreSQL as the `postgres` user. */
function pgUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('postgres:'));
  const [, , uid, gid] = line?.split(':') ?? [];
  if (!uid || !gid) throw new Error('running as root, but there is no "postgres" user to run PostgreSQL as');
  return { uid: Number(uid), gid: Number(gid) };
}

async function runPg(
  bin: string,
  args: string[],
  user: { uid: number; gid: number } | undefined,
  cwd: string,
): Promise<void> {
  const env = { ...process.env, LC_ALL: 'C', LANG: 'C' };
  await run(bin, args, { ...(user ?? {}), cwd, env, timeout: 60_000 });
}

/** Starts (once per process) a throwaway PostgreSQL cluster on a free loopback port. */
export function startPostgres(): Promise<PostgresService> {
  state.postgres ??= (async () => {
    const bin = ensureInstalled('postgres', findPgBin);
    const user = pgUser();
    const base = join(await baseDir(), 'pg');
    mkdirSync(base, { mode: 0o700 });
    if (user) chownSync(base, user.uid, user.gid);
    const data = join(base, 'data');
    state.pgBin = bin;
    state.pgUser = user;

    let t0 = performance.now();
    await runPg(
      join(bin, 'initdb'),
      [
        '-D',
        data,
        '-A',
        'trust',
        '-U',
        'postgres',
        '-E',
        'UTF8',
        '--locale=C',
        '--no-sync',
        '--no-instructions',
      ],
      user,
      base,
    );
    const initdbMs = Math.round(performance.now() - t0);

    let lastError: unknown;
    for (let attempt = 0; attempt < 3; attempt++) {
      const port = await freePort();
      t0 = performance.now();
      try {
        const o = `-p ${port} -k '${base}' -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off`;
        await runPg(
          join(bin, 'pg_ctl'),
          ['-D', data, '-l', join(base, 'log'), '-o', o, '-w', '-t', '30', 'start'],
          user,
          base,
        );
        return {
          url: `postgres://postgres@127.0.0.1:${port}/postgres`,
          port,
          dataDir: data,
          initdbMs,
          startMs: Math.round(performance.now() - t0),
        };
      } catch (e) {
        lastError = e; // most likely the port was taken in between: try another
      }
    }
    let log = '';
    try {
      log = readFileSync(join(base, 'log'), 'utf8').slice(-2000);
    } catch {}
    throw new Error(`PostgreSQL did not start: ${(lastError as Error)?.message}\n${log}`, {
      cause: lastError,
    });
  })();
  return state.postgres;
}

/** Stops whatever this process started and removes its temp dir. */
export async function stopServices(): Promise<void> {
  const dir = state.dir;
  if (!dir) return;
  const redis = state.redis;
  const postgres = state.postgres;
  state.redis = undefined;
  state.postgres = undefined;
  const redisDone = (async () => {
    const r = await redis?.catch(() => undefined);
    if (!r) return;
    killFromPidFile(join(dir, 'redis.pid'), 'SIGTERM');
    for (let i = 0; i < 200 && alive(r.pid); i++) await new Promise((res) => setTimeout(res, 10));
  })();
  const pgDone = (async () => {
    const p = await postgres?.catch(() => undefined);
    if (!p || !state.pgBin) return;
    try {
      await runPg(
        join(state.pgBin, 'pg_ctl'),
        ['-D', p.dataDir, '-m', 'immediate', '-w', 'stop'],
        state.pgUser,
        join(dir, 'pg'),
      );
    } catch {
      killFromPidFile(join(p.dataDir, 'postmaster.pid'), 'SIGQUIT');
    }
  })();
  await Promise.all([redisDone, pgDone]);
  state.dir = undefined;
  process.removeListener('exit', stopSync);
  await rm(dir, { recursive: true, force: true });
}
