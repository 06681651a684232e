// Summarizes a V8 CPU profile of a bundled runner by where the time went: which package or project
// module (from esbuild's `// path` markers in an unminified bundle), V8's garbage collector, or
// Node's own internals. Self time, in milliseconds.
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

function moduleMarkers(bundle: string): { line: number; module: string }[] {
  const markers: { line: number; module: string }[] = [];
  readFileSync(bundle, 'utf8')
    .split('\n')
    .forEach((text, i) => {
      const m = /^\/\/ ((?:node_modules\/(?:@[^/]+\/)?[^/]+)|(?:lib|functions|bench|scripts)\/[^ ]+)/.exec(
        text,
      );
      if (m?.[1]) markers.push({ line: i, module: m[1].replace(/^node_modules\//, '') });
    });
  return markers;
}

function category(module: string): string {
  if (module.startsWith('lib/events')) return 'parse + validate (lib/events)';
  if (module.startsWith('lib/ingest')) return 'pipeline + batching (lib/ingest)';
  if (module.startsWith('lib/') || module.startsWith('functions/') || module.startsWith('bench/'))
    return 'other project code';
  return module;
}

export function summarizeProfile(file: string): Record<string, number> {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const markerCache = new Map<string, { line: number; module: string }[]>();
  const totals: Record<string, number> = {};
  profile.samples.forEach((id, i) => {
    const node = byId.get(id);
    const micros = profile.timeDeltas[i] ?? 0;
    if (!node) return;
    const { functionName, url, lineNumber } = node.callFrame;
    let key: string;
    if (functionName === '(garbage collector)' || functionName === '(idle)' || functionName === '(program)')
      key = functionName;
    else if (url.startsWith('node:') || url === '') key = 'Node.js internals (streams, sockets, buffers)';
    else if (url.endsWith('.js') && url.includes('/bench/out/')) {
      const path = url.replace(/^file:\/\//, '');
      if (!markerCache.has(path)) markerCache.set(path, moduleMarkers(path));
      const markers = markerCache.get(path) ?? [];
      let module = 'bundle';
      for (const m of markers) {
        if (m.line > lineNumber) break;
        module = m.module;
      }
      key = category(module);
    } else key = url.replace(/^.*node_modules\//, '').split('/')[0] ?? url;
    totals[key] = (totals[key] ?? 0) + micros / 1000;
  });
  return Object.fromEntries(
    Object.entries(totals)
      .sort((a, b) => b[1] - a[1])
      .map(([k, v]) => [k, Math.round(v)]),
  );
}
