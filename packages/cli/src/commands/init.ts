/**
 * `farebox init worker <dir>`: copies a project template (today: the Cloudflare Worker that
 * sells an endpoint per request over LNbits) into a new directory, named after it.
 *
 * @module
 */
import { existsSync } from 'node:fs';
import { cp, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Exit, type Io, printJson } from '../io.js';

export const initHelp = `Usage: farebox init worker <dir> [--link] [--json]

Creates a project from a template in <dir> (which must not exist or be empty).

Templates:
  worker   a Cloudflare Worker selling an endpoint per request: LNbits invoices
           (invoice/read key), L402 tokens, one free request per IP per day (KV),
           single-use counting in a Durable Object, CORS; with its own tests

Options:
  --link   depend on the @farebox packages of this farebox checkout (file: links)
           instead of their published versions, for developing farebox itself
  --json   machine-readable output
  -h, --help  this help
`;

const TEMPLATES: Record<string, string> = { worker: 'cloudflare-worker' };

/** Never copied: installed or generated files, and local secrets. */
const SKIP = new Set(['node_modules', '.wrangler', '.dev.vars', 'dist', 'package-lock.json']);

const here = dirname(fileURLToPath(import.meta.url));

/** The template's directory: shipped in the CLI package, or in the farebox repository. */
function templateDir(name: string): string | undefined {
  const candidates = [
    resolve(here, '../../templates', name), // packages/cli/{dist,src}/commands → packages/cli/templates
    resolve(here, '../../../../templates', name), // → the repository's templates/
  ];
  return candidates.find((d) => existsSync(join(d, 'package.json')));
}

/** The packages directory of the farebox checkout this CLI runs from, if any. */
function packagesDir(): string | undefined {
  const d = resolve(here, '../../..');
  return existsSync(join(d, 'core', 'package.json')) ? d : undefined;
}

async function cliVersion(): Promise<string> {
  const pkg = JSON.parse(await readFile(resolve(here, '../../package.json'), 'utf8')) as { version: string };
  return pkg.version;
}

/** A Worker name: lowercase letters, digits and dashes (what Cloudflare accepts). */
function workerName(dir: string): string {
  const n = basename(resolve(dir))
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 63);
  return n || 'farebox-worker';
}

async function listFiles(dir: string, base = dir): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    if (SKIP.has(e.name)) continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await listFiles(p, base)));
    else out.push(relative(base, p));
  }
  return out.sort();
}

/** Runs `farebox init`. */
export async function initCommand(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      json: { type: 'boolean' },
      link: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    io.stdout(initHelp);
    return Exit.OK;
  }
  const [kind, target] = positionals;
  if (!kind || !target || positionals.length > 2 || !TEMPLATES[kind]) {
    io.stderr(
      kind && !TEMPLATES[kind] ? `farebox init: unknown template "${kind}"\n\n${initHelp}` : initHelp,
    );
    return Exit.USAGE;
  }
  const source = templateDir(TEMPLATES[kind]);
  if (!source) {
    io.stderr(`farebox init: the "${kind}" template is not installed with this farebox\n`);
    return Exit.FAILED;
  }
  const dest = resolve(target);
  if (existsSync(dest) && (await readdir(dest)).length > 0) {
    io.stderr(`farebox init: ${target} exists and is not empty\n`);
    return Exit.FAILED;
  }
  const packages = values.link ? packagesDir() : undefined;
  if (values.link && !packages) {
    io.stderr('farebox init: --link needs a farebox checkout (packages/ next to this CLI)\n');
    return Exit.USAGE;
  }

  const files = await listFiles(source);
  await mkdir(dest, { recursive: true });
  await cp(source, dest, { recursive: true, filter: (src) => !SKIP.has(basename(src)) });

  const name = workerName(dest);
  const version = await cliVersion();
  const pkgPath = join(dest, 'package.json');
  const pkg = JSON.parse(await readFile(pkgPath, 'utf8')) as {
    name: string;
    dependencies: Record<string, string>;
  };
  pkg.name = name;
  for (const dep of Object.keys(pkg.dependencies)) {
    if (!dep.startsWith('@farebox/')) continue;
    pkg.dependencies[dep] = packages ? `file:${join(packages, dep.slice('@farebox/'.length))}` : version;
  }
  await writeFile(pkgPath, `${JSON.stringify(pkg, null, 2)}\n`);
  const wranglerPath = join(dest, 'wrangler.jsonc');
  const wrangler = await readFile(wranglerPath, 'utf8');
  await writeFile(wranglerPath, wrangler.replace(/"name":\s*"[^"]*"/, `"name": "${name}"`));

  if (values.json) {
    printJson(io, {
      template: kind,
      dir: dest,
      name,
      files,
      farebox: packages ? `file:${packages}` : version,
    });
    return Exit.OK;
  }
  const rel = relative(process.cwd(), dest);
  const cd = rel === '' ? '.' : rel.startsWith('..') ? dest : rel;
  io.stdout(
    `Created the "${name}" Worker in ${cd} (${files.length} files).

Next:
  cd ${cd}
  npm install
  npm test                                   # the Worker in workerd, with a local LNbits stand-in
  npx wrangler secret put LNBITS_URL
  npx wrangler secret put LNBITS_KEY         # the wallet's Invoice/read key, never the admin key
  npx wrangler secret put FAREBOX_SECRET     # openssl rand -hex 32
  npx wrangler deploy                        # creates the Durable Object and the KV namespace

README.md explains the rest (free tier, Durable Object, CORS, answers).
`,
  );
  return Exit.OK;
}
