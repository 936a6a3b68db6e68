// The upstream every proxy benchmark puts behind its proxies: bench/upstream/main.go, built
// once with `go build` and cached outside the repository (keyed by the source's hash); the
// Node twin in bench/upstream/node-upstream.mjs when Go is missing.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, startPeer, waitForHttp } from './proc.mjs';

const dir = fileURLToPath(new URL('../upstream/', import.meta.url));

/** Path of the built Go upstream, building it when needed; undefined without Go. */
export function goUpstreamBinary() {
  const hash = createHash('sha256')
    .update(readFileSync(join(dir, 'main.go')))
    .update(readFileSync(join(dir, 'go.mod')))
    .digest('hex')
    .slice(0, 12);
  const cache = process.env.FAREBOX_CACHE ?? join(homedir(), '.cache', 'farebox');
  const out = join(cache, 'bin', `bench-upstream-${hash}`, 'upstream');
  if (existsSync(out)) return out;
  try {
    execFileSync('go', ['version'], { stdio: 'ignore' });
  } catch {
    return undefined;
  }
  mkdirSync(join(out, '..'), { recursive: true });
  const tmp = `${out}.tmp${process.pid}`;
  console.error('bench: building the Go upstream (once) …');
  execFileSync('go', ['build', '-trimpath', '-o', tmp, '.'], {
    cwd: dir,
    stdio: 'inherit',
    env: { ...process.env, GOFLAGS: '-mod=mod', GOTOOLCHAIN: 'local' },
  });
  renameSync(tmp, out);
  return out;
}

/** Starts the upstream; returns `{ url, addr, child, kind }`. */
export async function startUpstream({ logFile } = {}) {
  const port = await freePort();
  const addr = `127.0.0.1:${port}`;
  const bin = process.env.BENCH_NODE_UPSTREAM ? undefined : goUpstreamBinary();
  const child = bin
    ? startPeer(bin, ['-listen', addr], { logFile })
    : startPeer(process.execPath, [join(dir, 'node-upstream.mjs'), addr], { logFile });
  const url = `http://${addr}`;
  await waitForHttp(`${url}/`, { child, logFile });
  return { url, addr, child, kind: bin ? 'Go net/http' : 'Node http' };
}
