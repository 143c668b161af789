/**
 * The scripts tests run in child processes (the CLI and test/harness's *-child.ts), bundled once
 * per test run into plain ESM files by esbuild, so that each spawn starts plain `node` instead of
 * compiling the TypeScript again under tsx's loader (measured: ~1.3 CPU-s less per CLI spawn, on a
 * suite that spawns a few hundred). The bundle is built from the same sources at the start of every
 * run, so it is never stale; npm packages stay external and resolve from the repo's node_modules.
 * Outside a vitest run (no bundle directory), spawns fall back to tsx.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')

/** The environment variable that carries this run's bundle directory to the test workers. */
const BUNDLES_ENV = 'PGFERRY_TEST_BUNDLES'

/** Every script a test spawns, relative to the repo root (examples stay under tsx, as users run them). */
function childScripts(): string[] {
  const children = readdirSync(path.join(ROOT, 'test/harness'))
    .filter((f) => f.endsWith('-child.ts'))
    .map((f) => `test/harness/${f}`)
  return ['src/cli/main.ts', 'test/fixtures/schema/migrate-child.ts', ...children]
}

/** A script's bundle file name: its path flattened, so every bundle sits at the same depth. */
function bundleName(script: string): string {
  return script.replace(/\.ts$/, '').replaceAll('/', '__')
}

/**
 * Bundle every child script into a fresh directory and publish it to the workers; returns the
 * function that removes it. The directory is `node_modules/.pgferry-test-XXXX/`: two levels below
 * the root like src/cli/, so the CLI's `../../package.json` still names the repo's package.json.
 */
export async function bundleChildScripts(): Promise<() => void> {
  const { build } = await import('esbuild')
  const dir = mkdtempSync(path.join(ROOT, 'node_modules/.pgferry-test-'))
  await build({
    entryPoints: Object.fromEntries(childScripts().map((s) => [bundleName(s), path.join(ROOT, s)])),
    outdir: dir,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    // no source map: --enable-source-maps costs ~0.1 CPU-s per spawn; a stack names the bundle's
    // lines, and each module's code follows a `// src/...` comment in the bundle
    logLevel: 'warning',
  })
  process.env[BUNDLES_ENV] = dir
  return () => rmSync(dir, { recursive: true, force: true })
}

/** The node arguments that run `script` (relative to the repo root): its bundle, or tsx. */
export function nodeArgsFor(script: string): string[] {
  const dir = process.env[BUNDLES_ENV]
  if (dir !== undefined) {
    const bundled = path.join(dir, `${bundleName(script)}.mjs`)
    if (existsSync(bundled)) return [bundled]
  }
  return ['--import', 'tsx', path.join(ROOT, script)]
}
