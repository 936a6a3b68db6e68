/**
 * Reading an Aperture configuration as it is (Aperture v0.5 keys: lowercased Go field
 * names). Its lnd `authenticator` becomes the backend (gRPC, its `invoice.macaroon`), each of
 * its `services` a farebox service: `hostregexp`/`pathregexp` match, `address` + `protocol`
 * the upstream, `price` in sats, `auth` on/off/freebie N, `authwhitelistpaths` the free paths,
 * `timeout` the token validity, `capabilities` and `headers` as they are.
 *
 * Aperture tokens are good for any number of calls until they expire; converted services keep
 * that (a `pass` policy).
 *
 * @module
 */

/** True when the parsed file has Aperture's shape rather than farebox's. */
export function looksLikeAperture(o: Record<string, unknown>): boolean {
  if ('authenticator' in o || 'listenaddr' in o || 'dbbackend' in o) return true;
  const s = o.services;
  return (
    Array.isArray(s) &&
    s.some((x) => x && typeof x === 'object' && ('hostregexp' in x || 'pathregexp' in x || 'address' in x))
  );
}

const YEAR = 365 * 24 * 3600;

/** Converts an Aperture configuration object into a farebox one (validated afterwards). */
export function fromApertureConfig(a: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (typeof a.listenaddr === 'string') {
    out.listen = a.listenaddr.replace(/^localhost:/, '127.0.0.1:').replace(/^:/, '0.0.0.0:');
  }
  const auth = (a.authenticator ?? {}) as Record<string, unknown>;
  if (auth.disable === true) {
    out.backend = 'dev';
  } else if (typeof auth.lndhost === 'string') {
    const q = new URLSearchParams();
    if (typeof auth.macdir === 'string')
      q.set('macaroon', `${auth.macdir.replace(/\/$/, '')}/invoice.macaroon`);
    if (typeof auth.tlspath === 'string') q.set('cert', auth.tlspath);
    out.backend = `lnd+grpc://${auth.lndhost.replace(/^localhost:/, '127.0.0.1:')}?${q.toString()}`;
  }
  const sqlite = (a.sqlite ?? {}) as Record<string, unknown>;
  if (typeof sqlite.databasefilename === 'string') out.store = `sqlite:${sqlite.databasefilename}`;
  const pg = (a.postgres ?? {}) as Record<string, unknown>;
  if (a.dbbackend === 'postgres' && typeof pg.host === 'string') {
    const user = encodeURIComponent(String(pg.user ?? 'postgres'));
    const pass = pg.password ? `:${encodeURIComponent(String(pg.password))}` : '';
    out.store = `postgres://${user}${pass}@${pg.host}:${pg.port ?? 5432}/${pg.name ?? 'aperture'}`;
  }
  const services = Array.isArray(a.services) ? a.services : [];
  out.services = services.map((raw: unknown, i: number) => {
    const s = (raw ?? {}) as Record<string, unknown>;
    const svc: Record<string, unknown> = {
      name: typeof s.name === 'string' ? s.name.replace(/_/g, '-') : `service-${i + 1}`,
      path: typeof s.pathregexp === 'string' ? `~${s.pathregexp}` : '/*',
      upstream: `${typeof s.protocol === 'string' ? s.protocol : 'http'}://${String(s.address ?? '')}`,
      price: typeof s.price === 'number' ? s.price : 1,
    };
    if (typeof s.hostregexp === 'string' && s.hostregexp !== '.*') svc.hosts = [`~${s.hostregexp}`];
    if (typeof s.auth === 'string' && s.auth !== '') svc.auth = s.auth.trim().toLowerCase();
    if (Array.isArray(s.authwhitelistpaths)) svc.freePaths = s.authwhitelistpaths.map(String);
    if (s.headers && typeof s.headers === 'object') svc.headers = s.headers;
    if (typeof s.capabilities === 'string' && s.capabilities !== '') {
      svc.capabilities = s.capabilities
        .split(',')
        .map((c) => c.trim())
        .filter(Boolean);
    }
    const timeout = typeof s.timeout === 'number' && s.timeout > 0 ? s.timeout : YEAR;
    svc.validSeconds = timeout;
    svc.policy = { pass: timeout };
    return svc;
  });
  return out;
}
