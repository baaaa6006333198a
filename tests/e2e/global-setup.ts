import { execFileSync } from 'node:child_process';

/** Build the renderer once; every test file serves it from its own fresh server. */
export default function globalSetup(): void {
  execFileSync('npx', ['vite', 'build', '--config', 'vite.renderer.config.ts', '--logLevel', 'warn'], {
    stdio: 'inherit',
  });
}
