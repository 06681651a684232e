// Bundles what the benchmark runs the way it is deployed: the Lambda handlers (and the bench's own
// runners) as minified single files run by plain `node`, not through a TypeScript loader.
import { join, resolve } from 'node:path';
import { build } from 'esbuild';

export const repo = resolve(__dirname, '..');
export const outDir = join(repo, 'bench', 'out');

const entries = {
  ingest: 'functions/ingest.ts',
  getSessionItem: 'functions/getSessionItem.ts',
  getUserSessionSongs: 'functions/getUserSessionSongs.ts',
  getListeners: 'functions/getListeners.ts',
  'runner-ours': 'bench/runners/ours.ts',
  'runner-ceiling': 'bench/runners/ceiling.ts',
  'runner-baseline': 'bench/runners/baseline.ts',
  'runner-coldstart': 'bench/runners/coldstart.ts',
  'runner-reads': 'bench/runners/reads.ts',
  'runner-parsing': 'bench/runners/parsing.ts',
  'runner-parts': 'bench/runners/parts.ts',
  'runner-splits': 'bench/runners/splits.ts',
  notFound: 'functions/notFound.ts',
} as const;

/** Bundle name → the bundled file. */
export type Bundles = Record<keyof typeof entries, string>;

/** Minified as deployed; `forProfile` keeps module markers and names so profiles can be attributed. */
export async function buildBundles(forProfile = false): Promise<Bundles> {
  const files = {} as Bundles;
  for (const [name, entry] of Object.entries(entries) as [keyof Bundles, string][]) {
    const outfile = join(outDir, forProfile ? 'profile' : '', `${name}.js`);
    await build({
      entryPoints: [join(repo, entry)],
      outfile,
      bundle: true,
      minify: !forProfile,
      keepNames: forProfile,
      platform: 'node',
      target: 'node20',
      format: 'cjs',
      logLevel: 'warning',
      // As on Lambda, the AWS SDK v3 is provided (here from node_modules).
      external: ['@aws-sdk/*'],
    });
    files[name] = outfile;
  }
  return files;
}
