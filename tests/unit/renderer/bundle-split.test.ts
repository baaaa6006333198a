import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

/**
 * Every file and package reached from `entry` by static, non-type imports (what the first chunk
 * holds): `import x from './y.js'` and `export … from`, not `import type` nor `import('…')`.
 */
function staticGraph(entry: string): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string) => {
    if (files.has(file)) return;
    files.add(file);
    const src = readFileSync(file, 'utf8');
    for (const m of src.matchAll(
      /^(?:import|export)\s+(?!type\b)[^'";]*?from\s+'([^']+)'|^import\s+'([^']+)'/gm,
    )) {
      const spec = (m[1] ?? m[2]) as string;
      if (!spec.startsWith('.')) {
        packages.add(
          spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : (spec.split('/')[0] as string),
        );
        continue;
      }
      if (spec.endsWith('.css')) continue;
      const base = resolve(dirname(file), spec.replace(/\.js$/, ''));
      const candidates = [`${base}.ts`, `${base}.tsx`, `${base}/index.ts`];
      const found = candidates.find((c) => {
        try {
          readFileSync(c);
          return true;
        } catch {
          return false;
        }
      });
      if (found) visit(found);
    }
  };
  visit(entry);
  return { files, packages };
}

describe('the sign-in form comes before the data layer (issue #5, large-tenant app start)', () => {
  it('the entry reaches neither RxDB nor the workspace nor the screens by static imports', () => {
    const { files, packages } = staticGraph(resolve(root, 'renderer/main.tsx'));
    const rel = [...files].map((f) => f.slice(root.length + 1));
    // The graph is walked (the form itself is in it).
    expect(rel).toContain('renderer/features/login/LoginScreen.tsx');
    expect(packages).toContain('react-dom');
    // Loaded on their own after the form (App.tsx `loadShell`, LoginScreen's `import()`).
    expect(packages).not.toContain('rxdb');
    expect(rel).not.toContain('renderer/data/workspace.ts');
    expect(rel).not.toContain('renderer/Shell.tsx');
    expect(rel.filter((f) => f.includes('/features/inventory/'))).toEqual([]);
  });
});
