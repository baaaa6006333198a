/**
 * `npm run dist:win|dist:mac|dist:linux`: signed installers, on a machine with internet (the
 * Electron binary, NSIS/WiX and AppImage tools are downloaded by electron-builder).
 *
 *   npm run dist:win               # NSIS (per-machine) + MSI, x64, signed
 *   npm run dist:mac               # dmg + zip, x64 + arm64, signed, hardened, notarized
 *   npm run dist:linux             # AppImage + deb + rpm, x64
 *   npm run dist:win -- --unsigned # a test build without a certificate (never ship it)
 *
 * Output: dist/release/. Copy `latest*.yml`, the installers and `*.blockmap` files into the
 * server's update folder to publish (docs/deployment.md). Signing credentials come only from
 * the environment (build/electron-builder.ts lists the variables).
 */
import nodePath from 'node:path';
import { pathToFileURL } from 'node:url';
import { createBuilderConfig } from '../build/electron-builder.js';
import { REPO_ROOT } from './build-electron.js';
import { stageApp } from './package-app.js';

/** Platforms dist can build for. */
export type DistPlatform = 'win' | 'mac' | 'linux';

/** The signing inputs a platform lacks in `env` (empty when it can sign). */
export function missingSigningInputs(
  platform: DistPlatform,
  env: Readonly<Record<string, string | undefined>>,
): string[] {
  const has = (name: string) => (env[name] ?? '') !== '';
  if (platform === 'win') {
    if (has('AZURE_TRUSTED_SIGNING_ENDPOINT')) {
      return [
        'AZURE_TRUSTED_SIGNING_ACCOUNT',
        'AZURE_TRUSTED_SIGNING_CERTIFICATE_PROFILE',
        'WIN_PUBLISHER_NAME',
        'AZURE_TENANT_ID',
        'AZURE_CLIENT_ID',
        'AZURE_CLIENT_SECRET',
      ].filter((name) => !has(name));
    }
    if (has('WIN_CSC_LINK'))
      return has('WIN_CSC_KEY_PASSWORD') || has('CSC_KEY_PASSWORD') ? [] : ['WIN_CSC_KEY_PASSWORD'];
    if (has('CSC_LINK')) return has('CSC_KEY_PASSWORD') ? [] : ['CSC_KEY_PASSWORD'];
    return [
      'WIN_CSC_LINK + WIN_CSC_KEY_PASSWORD, or AZURE_TRUSTED_SIGNING_ENDPOINT (+ account, profile, Azure credentials)',
    ];
  }
  if (platform === 'mac') {
    const missing: string[] = [];
    if (!has('CSC_LINK') && !has('CSC_NAME'))
      missing.push('CSC_LINK (Developer ID Application .p12) or CSC_NAME');
    if (has('CSC_LINK') && !has('CSC_KEY_PASSWORD')) missing.push('CSC_KEY_PASSWORD');
    for (const name of ['APPLE_API_KEY', 'APPLE_API_KEY_ID', 'APPLE_API_ISSUER'])
      if (!has(name)) missing.push(name);
    return missing;
  }
  return [];
}

/** Parses `--win|--mac|--linux [--unsigned]`. */
export function parseDistArgs(args: readonly string[]): { platform: DistPlatform; unsigned: boolean } {
  const platforms = (['win', 'mac', 'linux'] as const).filter((p) => args.includes(`--${p}`));
  if (platforms.length !== 1) throw new Error('usage: tsx scripts/dist.ts --win|--mac|--linux [--unsigned]');
  return { platform: platforms[0]!, unsigned: args.includes('--unsigned') };
}

async function main(): Promise<void> {
  const { platform, unsigned } = parseDistArgs(process.argv.slice(2));
  const missing = unsigned ? [] : missingSigningInputs(platform, process.env);
  if (missing.length > 0) {
    throw new Error(
      `cannot sign the ${platform} build; set ${missing.join(', ')} (or pass --unsigned for a test build)`,
    );
  }
  const stageDir = nodePath.join(REPO_ROOT, 'dist', 'app');
  const outputDir = nodePath.join(REPO_ROOT, 'dist', 'release');
  await stageApp({ stageDir });
  const { Platform, build } = await import('electron-builder');
  const target = { win: Platform.WINDOWS, mac: Platform.MAC, linux: Platform.LINUX }[platform];
  if (unsigned) process.env['CSC_IDENTITY_AUTO_DISCOVERY'] = 'false';
  const artifacts = await build({
    projectDir: REPO_ROOT,
    targets: target.createTarget(),
    config: {
      ...createBuilderConfig({ appDir: stageDir, outputDir }),
      // A release build that cannot sign fails instead of producing an unsigned installer.
      forceCodeSigning: !unsigned && platform !== 'linux',
    },
    publish: 'never',
  });
  for (const artifact of artifacts) console.log(`built ${nodePath.relative(REPO_ROOT, artifact)}`);
}

const invokedDirectly =
  process.argv[1] !== undefined && import.meta.url === pathToFileURL(nodePath.resolve(process.argv[1])).href;
if (invokedDirectly) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : String(error));
    process.exitCode = 1;
  });
}
