/**
 * Reading an Aperture configuration as it is (Aperture v0.5 keys: lowercased Go field
 * names). Its lnd `authenticator` becomes the backend (gRPC, its `invoice.macaroon`), each of
 * its `services` a farebox service: `hostregexp`/`pathregexp` match, `address` + `protocol`
 * the upstream, `price` in sats, `auth` on/off/freebie N, `authwhitelistpaths` the free paths,
 * `timeout` the token validity, `capabilities` and `headers` as they are.
 *
 * Aperture tokens are good for any number of calls until they expire; converted services keep
 * that (a `pass` policy). A price of 0 or none is Aperture's default of 1 sat, not free.
 * `authenticator.disable: true` makes every service free. Not converted: `dynamicprice` (gRPC;
 * farebox's pricing hook is HTTP), `constraints`, `ratelimits`, `authskipinvoicecreationpaths`,
 * LNC (`passphrase`, `mailboxaddress`), Tor, hashmail, etcd, autocert.
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
  // Aperture with `disable: true` proxies without any payment: every service becomes free.
  const disabled = auth.disable === true;
  if (disabled) {
    out.backend = 'dev';
  } else if (typeof auth.lndhost === 'string') {
    // Paths stay readable (`/` is allowed in a query); anything else is escaped.
    const q = (v: string) => encodeURIComponent(v).replace(/%2F/g, '/');
    const params: string[] = [];
    if (typeof auth.macdir === 'string')
      params.push(`macaroon=${q(`${auth.macdir.replace(/\/$/, '')}/invoice.macaroon`)}`);
    if (typeof auth.tlspath === 'string') params.push(`cert=${q(auth.tlspath)}`);
    out.backend = `lnd+grpc://${auth.lndhost.replace(/^localhost:/, '127.0.0.1:')}?${params.join('&')}`;
  }
  // Aperture keeps its secrets in its database; farebox needs one server secret. A `secret`
  // written into the Aperture file is used, else the FAREBOX_SECRET environment variable.
  if (a.secret !== undefined) out.secret = a.secret;
  else if (!disabled && out.backend !== undefined) out.secret = { env: 'FAREBOX_SECRET' };
  const sqlite = (a.sqlite ?? {}) as Record<string, unknown>;
  // `dbfile` is the YAML name of Aperture's SqliteConfig.DatabaseFileName.
  const dbfile = sqlite.dbfile ?? sqlite.databasefilename;
  if (typeof dbfile === 'string') out.store = `sqlite:${dbfile}`;
  const pg = (a.postgres ?? {}) as Record<string, unknown>;
  if (a.dbbackend === 'postgres' && typeof pg.host === 'string') {
    const user = encodeURIComponent(String(pg.user ?? 'postgres'));
    const pass = pg.password ? `:${encodeURIComponent(String(pg.password))}` : '';
    const db = encodeURIComponent(String(pg.dbname ?? 'aperture'));
    const ssl = pg.requiressl === true ? '?sslmode=require' : '';
    out.store = `postgres://${user}${pass}@${pg.host}:${pg.port ?? 5432}/${db}${ssl}`;
  }
  const services = Array.isArray(a.services) ? a.services : [];
  out.services = services.map((raw: unknown, i: number) => {
    const s = (raw ?? {}) as Record<string, unknown>;
    const svc: Record<string, unknown> = {
      name: typeof s.name === 'string' ? s.name.replace(/_/g, '-') : `service-${i + 1}`,
      path: typeof s.pathregexp === 'string' ? `~${s.pathregexp}` : '/*',
      upstream: `${typeof s.protocol === 'string' ? s.protocol : 'http'}://${String(s.address ?? '')}`,
      // Aperture charges its default of 1 sat when the price is missing or 0 (proxy/service.go).
      price: typeof s.price === 'number' && s.price > 0 ? s.price : 1,
    };
    if (disabled) svc.auth = 'off';
    if (typeof s.hostregexp === 'string' && s.hostregexp !== '.*') svc.hosts = [`~${s.hostregexp}`];
    if (typeof s.auth === 'string' && s.auth !== '' && !disabled) svc.auth = s.auth.trim().toLowerCase();
    if (Array.isArray(s.authwhitelistpaths)) svc.freePaths = s.authwhitelistpaths.map(String);
    if (s.headers && typeof s.headers === 'object' && !Array.isArray(s.headers)) {
      const headers: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(s.headers as Record<string, unknown>)) {
        // `!file+hex:PATH` / `!file+base64:PATH`: the file's bytes, encoded, on every request.
        const m = typeof v === 'string' ? /^!file\+(hex|base64):(.+)$/.exec(v) : null;
        headers[k] = m ? { file: m[2], encoding: m[1] } : v;
      }
      svc.headers = headers;
    }
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
