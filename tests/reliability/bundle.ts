/** Builds the client harness page (the real renderer data layer) into memory, for the proxies to serve. */
import { build } from 'esbuild';

export async function clientAssets(): Promise<Map<string, [string, string | Buffer]>> {
  const out = await build({
    entryPoints: ['tests/reliability/harness/client.ts'],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    define: {
      'import.meta.env.DEV': 'false',
      'import.meta.env.PROD': 'true',
      'import.meta.env.MODE': '"production"',
    },
    write: false,
    outfile: 'client.js',
    logLevel: 'warning',
  });
  const js = out.outputFiles.find((f) => f.path.endsWith('client.js'));
  if (!js) throw new Error('esbuild produced no client.js');
  return new Map<string, [string, string | Buffer]>([
    [
      '/index.html',
      ['text/html', '<!doctype html><meta charset="utf-8"><script type="module" src="/client.js"></script>'],
    ],
    ['/client.js', ['text/javascript', Buffer.from(js.contents)]],
  ]);
}
