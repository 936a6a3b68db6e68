/**
 * The core runs on Workers, Deno, Bun and browsers: its built files may import nothing
 * from Node (`node:*` or bare Node built-ins) and use no `Buffer` or `process`.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const src = fileURLToPath(new URL('../src', import.meta.url));

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') && !p.endsWith('.test.ts') ? [p] : [];
  });
}

describe('core is Web Standards only', () => {
  const all = files(src);
  it('has source files', () => expect(all.length).toBeGreaterThan(10));
  it.each(all.map((f) => [f.slice(src.length + 1), f]))(
    '%s imports no Node module and uses no Buffer/process',
    (_n, f) => {
      // Code only: JSDoc examples may show `import … from '@farebox/core'`.
      const text = readFileSync(f, 'utf8')
        .replace(/\/\*[\s\S]*?\*\//g, '')
        .replace(/^\s*\/\/.*$/gm, '');
      const imports = [...text.matchAll(/(?:import|export)[^'"]*from\s+['"]([^'"]+)['"]/g)].map((m) => m[1]!);
      for (const spec of imports) {
        expect(spec.startsWith('node:')).toBe(false);
        expect(builtinModules).not.toContain(spec);
        expect(spec.startsWith('.') || spec.startsWith('@noble/') || spec.startsWith('@scure/')).toBe(true);
      }
      expect(text).not.toMatch(/\bBuffer\./);
      expect(text).not.toMatch(/\bprocess\./);
    },
  );
});
