/**
 * The main entry never loads the optional framework peers (`ai`, `@langchain/core`): they
 * live behind `@farebox/mcp/ai-sdk` and `@farebox/mcp/langchain`. Checked on the sources
 * the build compiles, following relative imports from `index.ts`.
 */
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';

async function importsOf(file: URL, seen = new Set<string>()): Promise<Set<string>> {
  if (seen.has(file.href)) return new Set();
  seen.add(file.href);
  const text = await readFile(file, 'utf8');
  const out = new Set<string>();
  for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)[^'"]*?from\s+'([^']+)'/g)) {
    const spec = m[1]!;
    if (spec.startsWith('.')) {
      for (const s of await importsOf(new URL(spec.replace(/\.js$/, '.ts'), file), seen)) out.add(s);
    } else out.add(spec);
  }
  return out;
}

describe('@farebox/mcp entry points', () => {
  it('the main entry imports no framework', async () => {
    const deps = await importsOf(new URL('../src/index.ts', import.meta.url));
    expect(deps.has('@modelcontextprotocol/sdk/server/mcp.js')).toBe(true);
    for (const d of deps) expect(d).not.toMatch(/^(ai|@langchain\/)/);
  });

  it('package.json: frameworks are optional peers; subpaths exported', async () => {
    const pkg = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8'));
    expect(pkg.peerDependenciesMeta).toEqual({
      ai: { optional: true },
      '@langchain/core': { optional: true },
    });
    expect(Object.keys(pkg.exports)).toEqual(['.', './ai-sdk', './langchain']);
    expect(pkg.dependencies.ai).toBeUndefined();
  });
});
