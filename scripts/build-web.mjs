#!/usr/bin/env node
/**
 * Builds the dashboard (web/) into dist/web with Vite, then writes a .gz and a .br beside
 * every asset so the gateway can serve them precompressed. Skipped when dist/web is newer
 * than every file under web/ (so `npm start` stays quick); `--force` always builds.
 */
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const web = path.join(root, 'web');
const out = path.join(root, 'dist', 'web');
const stamp = path.join(out, 'index.html');

function newest(dir) {
  let t = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    if (e.name === 'node_modules') continue;
    const p = path.join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : fs.statSync(p).mtimeMs);
  }
  return t;
}

const force = process.argv.includes('--force');
const inputs = Math.max(newest(web), fs.statSync(path.join(root, 'package-lock.json')).mtimeMs);
if (!force && fs.existsSync(stamp) && fs.statSync(stamp).mtimeMs >= inputs) {
  console.log('dashboard: dist/web is up to date');
  process.exit(0);
}

const { build } = await import('vite');
await build({ configFile: path.join(web, 'vite.config.ts'), logLevel: 'warn' });

const assets = path.join(out, 'assets');
let js = 0;
for (const name of fs.readdirSync(assets)) {
  if (!/\.(js|css|svg)$/.test(name)) continue;
  const file = path.join(assets, name);
  const bytes = fs.readFileSync(file);
  const gz = zlib.gzipSync(bytes, { level: 9 });
  fs.writeFileSync(`${file}.gz`, gz);
  fs.writeFileSync(`${file}.br`, zlib.brotliCompressSync(bytes, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11 } }));
  if (name.endsWith('.js')) js += gz.length;
}
// The stamp last: a build that stopped half-way is redone next time.
fs.utimesSync(stamp, new Date(), new Date());
console.log(`dashboard: built into dist/web (all JavaScript ${(js / 1024).toFixed(1)} KiB gzipped)`);
