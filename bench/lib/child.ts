/**
 * The Mailops side of a row runs in its own node process (bench/child/main.ts, bundled with esbuild the way
 * the extension is, ssh2 on its pure JavaScript crypto like the shipped bundle), so its peak RSS (VmHWM) and
 * heap belong to Mailops alone. The child prints one line `BENCH-RESULT {json}` at the end.
 */
import * as esbuild from 'esbuild';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { timed } from './proc';

const ROOT = path.resolve(__dirname, '../..');
const OUT = path.join(ROOT, 'node_modules/.cache/mailops-bench/child.cjs');
let built: Promise<void> | undefined;

/** Same stub as scripts/build.mjs: the bundle carries no native add-on; ssh2 uses its JS/WASM code. */
const nativeStub: esbuild.Plugin = {
  name: 'bench-native-stub',
  setup(build) {
    build.onResolve({ filter: /^cpu-features$|\.node$/ }, (a) => ({ path: a.path, namespace: 'bench-native-stub' }));
    build.onLoad({ filter: /.*/, namespace: 'bench-native-stub' }, (a) => ({ contents: `throw new Error(${JSON.stringify(`native ${a.path} not bundled`)});`, loader: 'js' }));
  },
};

export function buildChild(): Promise<void> {
  built ??= (async () => {
    mkdirSync(path.dirname(OUT), { recursive: true });
    await esbuild.build({
      entryPoints: [path.join(ROOT, 'bench/child/main.ts')],
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'node22',
      outfile: OUT,
      plugins: [nativeStub],
      logLevel: 'warning',
    });
  })();
  return built;
}

export interface ChildResult {
  /** Wall time of the measured part, measured inside the child (connection already open unless stated). */
  ms: number;
  /** Child's own peak RSS (getrusage ru_maxrss = VmHWM), KiB. */
  maxRssKb: number;
  /** Highest heapUsed sampled every 10 ms, bytes. */
  heapPeak: number;
  connectMs: number;
  [k: string]: unknown;
}

export async function runChild(task: Record<string, unknown>, timeoutMs = 600_000): Promise<ChildResult> {
  await buildChild();
  const r = await timed(process.execPath, ['--max-old-space-size=4096', OUT, JSON.stringify(task)], { keepStdout: true, timeoutMs });
  const text = r.stdout!.toString('utf8');
  const line = text.split('\n').find((l) => l.startsWith('BENCH-RESULT '));
  if (r.code !== 0 || !line) throw new Error(`bench child ${String(task.task)} failed (exit ${r.code ?? r.signal}): ${(r.stderr + text).trim().slice(-1500)}`);
  return JSON.parse(line.slice('BENCH-RESULT '.length)) as ChildResult;
}
