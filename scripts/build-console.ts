/**
 * Bundles the operator console (console/src) into console/dist/console.js and console.css, minified, and checks
 * their gzipped size against the budget. `--check` builds in memory and fails when the committed files are stale.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { CONSOLE_DIST } from '../src/console/assets.ts';

/** JS + CSS, gzipped: Preact, the tree-shaken Chart.js parts and every page. */
export const CONSOLE_BUDGET_GZIP_BYTES = 160 * 1024;
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The bundle's files as they would be written (name → text). */
export async function buildConsole(): Promise<Map<string, string>> {
  const result = await build({
    entryPoints: { console: path.join(root, 'console', 'src', 'main.tsx') },
    bundle: true,
    minify: true,
    format: 'iife',
    target: ['es2020', 'chrome100', 'firefox100', 'safari15'],
    jsx: 'automatic',
    jsxImportSource: 'preact',
    legalComments: 'eof',
    banner: {
      js: '/*! Switchboard console. Bundles Preact (MIT, Copyright (c) 2015-present Jason Miller) and Chart.js (MIT, Copyright (c) 2014-2024 Chart.js Contributors). */',
    },
    charset: 'utf8',
    outdir: CONSOLE_DIST,
    write: false,
    logLevel: 'silent',
    absWorkingDir: root,
  });
  return new Map(result.outputFiles.map((file) => [path.basename(file.path), file.text]));
}

async function main(): Promise<void> {
  const check = process.argv.includes('--check');
  const files = await buildConsole();
  const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;
  let gzipTotal = 0;
  for (const [name, text] of files) {
    const gzipBytes = gzipSync(text, { level: 9 }).length;
    gzipTotal += gzipBytes;
    process.stdout.write(`${name}: ${kb(Buffer.byteLength(text))} minified, ${kb(gzipBytes)} gzipped\n`);
  }
  process.stdout.write(`console total: ${kb(gzipTotal)} gzipped (budget ${kb(CONSOLE_BUDGET_GZIP_BYTES)})\n`);
  if (gzipTotal > CONSOLE_BUDGET_GZIP_BYTES) {
    process.stderr.write('the console bundle is over its gzipped size budget\n');
    process.exit(1);
  }
  for (const [name, text] of files) {
    const file = path.join(CONSOLE_DIST, name);
    if (check) {
      if (!fs.existsSync(file) || fs.readFileSync(file, 'utf8') !== text) {
        process.stderr.write(`console/dist/${name} is out of date: run npm run build:console\n`);
        process.exit(1);
      }
      continue;
    }
    fs.mkdirSync(CONSOLE_DIST, { recursive: true });
    fs.writeFileSync(file, text);
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
