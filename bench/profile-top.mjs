#!/usr/bin/env node
// Self time of a V8 CPU profile (.cpuprofile, e.g. from FERRY_BENCH_PROFILE=/tmp/s.cpuprofile), by
// function and by package or source folder: where the scheduler's CPU goes.
//   node bench/profile-top.mjs /tmp/s.cpuprofile [rows]
import { readFileSync } from 'node:fs';

const [file, rowsArg] = process.argv.slice(2);
if (!file) {
  console.error('usage: node bench/profile-top.mjs <file.cpuprofile> [rows]');
  process.exit(2);
}
const rows = Number(rowsArg ?? 40);
const profile = JSON.parse(readFileSync(file, 'utf8'));
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const hits = new Map();
for (const id of profile.samples) hits.set(id, (hits.get(id) ?? 0) + 1);
const total = profile.samples.length;

const where = (url) => {
  if (!url) return '(native)';
  const mod = url.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/);
  if (mod) return mod[1];
  if (url.startsWith('node:')) return url;
  const src = url.match(/dist\/((?:apps|libs)\/[^/]+\/src\/[^/]+)/);
  return src ? src[1] : url.replace(/^file:\/\//, '');
};

const byFn = new Map();
const byWhere = new Map();
for (const [id, n] of hits) {
  const node = byId.get(id);
  const { functionName, url, lineNumber } = node.callFrame;
  const fn = `${functionName || '(anonymous)'} ${where(url)}:${lineNumber + 1}`;
  byFn.set(fn, (byFn.get(fn) ?? 0) + n);
  const w = where(url);
  byWhere.set(w, (byWhere.get(w) ?? 0) + n);
}
const pct = (n) => `${((n / total) * 100).toFixed(1).padStart(5)}%`;
const top = (m, k) => [...m].sort((a, b) => b[1] - a[1]).slice(0, k);
console.log(`${total} samples`);
console.log('\nby package / folder');
for (const [k, n] of top(byWhere, 25)) console.log(`${pct(n)}  ${k}`);
console.log('\nby function');
for (const [k, n] of top(byFn, rows)) console.log(`${pct(n)}  ${k}`);

// Optional third argument: a package or folder (as listed above); its samples (self time and below)
// are charged to the nearest caller in our own code (apps/ or libs/), to tell who calls it.
const focus = process.argv[4];
if (focus) {
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const ours = (url) => /dist\/(apps|libs)\//.test(url ?? '');
  const callers = new Map();
  let inFocus = 0;
  for (const [id, n] of hits) {
    let cur = id;
    let seen = false;
    let caller;
    while (cur !== undefined) {
      const f = byId.get(cur).callFrame;
      if (where(f.url) === focus) seen = true;
      else if (seen && ours(f.url)) {
        caller = `${f.functionName || '(anonymous)'} ${where(f.url)}:${f.lineNumber + 1}`;
        break;
      }
      cur = parent.get(cur);
    }
    if (!seen) continue;
    inFocus += n;
    callers.set(caller ?? '(no caller of ours)', (callers.get(caller ?? '(no caller of ours)') ?? 0) + n);
  }
  console.log(`\n${focus}, inclusive: ${pct(inFocus)}; by our nearest caller`);
  for (const [k, n] of top(callers, 25)) console.log(`${pct(n)}  ${k}`);
}
