/**
 * Bundles the website widget (widget/src) into one self-contained, minified file, widget/dist/widget.js,
 * and checks its gzipped size against the budget. `--check` builds in memory and fails when the committed
 * file is stale instead of writing it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { WIDGET_FILE } from '../src/widget/assets.ts';

export const WIDGET_BUDGET_GZIP_BYTES = 30 * 1024;
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** Where the bundle goes: the file the server serves. */
export const WIDGET_OUTPUT = WIDGET_FILE;

/** The bundle as it would be written, with its raw and gzipped sizes. */
export async function buildWidget(): Promise<{ code: string; bytes: number; gzipBytes: number }> {
  const result = await build({
    entryPoints: [path.join(root, 'widget', 'src', 'main.ts')],
    bundle: true,
    minify: true,
    format: 'iife',
    target: ['es2020', 'chrome90', 'firefox90', 'safari15'],
    legalComments: 'eof',
    banner: {
      js: '/*! Switchboard website widget. Bundles marked (https://github.com/markedjs/marked): Copyright (c) 2018-2026 MarkedJS, Copyright (c) 2011-2018 Christopher Jeffrey, MIT License. */',
    },
    charset: 'utf8',
    write: false,
    logLevel: 'silent',
    absWorkingDir: root,
  });
  const code = result.outputFiles[0]?.text ?? '';
  return { code, bytes: Buffer.byteLength(code), gzipBytes: gzipSync(code, { level: 9 }).length };
}

async function main(): Promise<void> {
  const check = process.argv.includes('--check');
  const { code, bytes, gzipBytes } = await buildWidget();
  const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;
  process.stdout.write(
    `widget.js: ${kb(bytes)} minified, ${kb(gzipBytes)} gzipped (budget ${kb(WIDGET_BUDGET_GZIP_BYTES)})\n`,
  );
  if (gzipBytes > WIDGET_BUDGET_GZIP_BYTES) {
    process.stderr.write('widget.js is over its gzipped size budget\n');
    process.exit(1);
  }
  if (check) {
    const current = fs.existsSync(WIDGET_OUTPUT) ? fs.readFileSync(WIDGET_OUTPUT, 'utf8') : '';
    if (current !== code) {
      process.stderr.write('widget/dist/widget.js is out of date: run npm run build:widget\n');
      process.exit(1);
    }
    return;
  }
  fs.mkdirSync(path.dirname(WIDGET_OUTPUT), { recursive: true });
  fs.writeFileSync(WIDGET_OUTPUT, code);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
