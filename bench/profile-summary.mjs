/**
 * Summarises a V8 .cpuprofile (node --cpu-prof, e.g. from BENCH_CPU_PROF=<dir>): self time
 * by area (our src/ files, each dependency, node internals, GC, idle) and the top functions.
 *
 *   node bench/profile-summary.mjs <file.cpuprofile | dir> [top=25]
 */
import fs from 'node:fs';
import path from 'node:path';

const arg = process.argv[2];
const top = Number(process.argv[3] ?? 25);
if (!arg) {
  console.error('usage: node bench/profile-summary.mjs <file.cpuprofile | dir> [top]');
  process.exit(2);
}
const files = fs.statSync(arg).isDirectory()
  ? fs.readdirSync(arg).filter((f) => f.endsWith('.cpuprofile')).map((f) => path.join(arg, f))
  : [arg];

/** Where a frame's code lives: `src/<file>`, a package name, `node:<module>`, or a V8 pseudo-frame. */
function area(url, name) {
  if (!url) return name.startsWith('(') ? name : '(native)';
  // Our own build (the bench runs a private copy of dist/ under node_modules/.cache).
  const dist = url.match(/(?:^file:\/\/(?!.*node_modules\/(?!\.cache\/))).*?\/dist\/(.*)$/);
  if (dist) return `src/${dist[1].replace(/\.js$/, '.ts')}`;
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/');
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  if (url.startsWith('node:')) return url;
  return path.basename(url);
}

for (const file of files) {
  const p = JSON.parse(fs.readFileSync(file, 'utf8'));
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map();
  for (let i = 0; i < p.samples.length; i++) {
    const dt = p.timeDeltas[i + 1] ?? 0;
    self.set(p.samples[i], (self.get(p.samples[i]) ?? 0) + dt);
  }
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const areas = new Map();
  const fns = new Map();
  for (const [id, us] of self) {
    const n = byId.get(id);
    const { functionName, url, lineNumber } = n.callFrame;
    const a = area(url, functionName || '(anonymous)');
    areas.set(a, (areas.get(a) ?? 0) + us);
    const key = `${functionName || '(anonymous)'}  ${a}:${lineNumber + 1}`;
    fns.set(key, (fns.get(key) ?? 0) + us);
  }
  const idle = areas.get('(idle)') ?? 0;
  const busy = total - idle;
  const pct = (us) => `${((100 * us) / busy).toFixed(1)}%`.padStart(6);
  console.log(`\n${path.basename(file)}: ${(total / 1e6).toFixed(1)} s sampled, ${(busy / 1e6).toFixed(1)} s busy (percentages of busy)`);
  console.log('-- by area --');
  for (const [a, us] of [...areas].filter(([a]) => a !== '(idle)').sort((x, y) => y[1] - x[1]).slice(0, top)) console.log(pct(us), a);
  console.log('-- by function --');
  for (const [f, us] of [...fns].filter(([f]) => !f.startsWith('(idle)')).sort((x, y) => y[1] - x[1]).slice(0, top)) console.log(pct(us), f);
}
