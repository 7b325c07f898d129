#!/usr/bin/env node
// Bundles the three faces of Mailops with esbuild:
//   src/extension/extension.ts -> dist/extension.js   (cjs, node, 'vscode' external)
//   src/cli/main.ts            -> dist/cli.js         (cjs, node, executable, skipped while it does not exist)
//   webview/main.ts            -> dist/webview.js     (esm, browser, skipped while it does not exist)
//   test/vscode/suite/**       -> dist/test/vscode/index.js (mocha runner + every *.test.ts, for the real VS Code run)
// and copies the codicon font into dist/codicons/ for the webview.
//
//   node scripts/build.mjs               development build (inline source maps)
//   node scripts/build.mjs --production  minified, no source maps, no test bundle (what `npm run package` ships)
//   node scripts/build.mjs --watch       rebuild on change; prints the [watch] lines of the esbuild problem matcher
import * as esbuild from 'esbuild';
import { chmod, copyFile, mkdir, readdir, readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = new Set(process.argv.slice(2));
const production = args.has('--production');
const watch = args.has('--watch');
for (const a of args) {
  if (!['--production', '--watch'].includes(a)) {
    console.error(`build: unknown option ${a} (known: --production, --watch)`);
    process.exit(2);
  }
}
const rel = (p) => path.relative(root, p) || '.';

/**
 * ssh2 tries two optional native add-ons inside try/catch: `cpu-features` (to order ciphers) and its own
 * `sshcrypto.node`. A bundle cannot carry them, so both resolve to a module that throws on load and ssh2
 * falls back to its pure JavaScript (and WebAssembly) code, which is what runs on any machine anyway.
 */
const nativeStubPlugin = {
  name: 'mailops-native-stub',
  setup(build) {
    build.onResolve({ filter: /^cpu-features$|\.node$/ }, (a) => ({ path: a.path, namespace: 'mailops-native-stub' }));
    build.onLoad({ filter: /.*/, namespace: 'mailops-native-stub' }, (a) => ({
      contents: `throw new Error(${JSON.stringify(`native add-on ${a.path} is not bundled; using the pure JavaScript fallback`)});`,
      loader: 'js',
    }));
  },
};

/** The mocha suites, found at build time: `import 'mailops:suites'` loads every test/vscode/suite/**\/*.test.ts. */
const suitesPlugin = {
  name: 'mailops-suites',
  setup(build) {
    build.onResolve({ filter: /^mailops:suites$/ }, () => ({ path: 'suites', namespace: 'mailops-suites' }));
    build.onLoad({ filter: /.*/, namespace: 'mailops-suites' }, async () => {
      const dir = path.join(root, 'test/vscode/suite');
      const files = (await readdir(dir, { recursive: true }))
        .filter((f) => f.endsWith('.test.ts'))
        .sort()
        .map((f) => path.join(dir, f));
      return {
        contents: files.map((f) => `import ${JSON.stringify(f)};`).join('\n') + `\nexport const files = ${JSON.stringify(files.map(rel))};\n`,
        resolveDir: dir,
        loader: 'js',
        watchFiles: files,
        watchDirs: [dir],
      };
    });
  },
};

/** The lines the esbuild problem matcher (connor4312.esbuild-problem-matchers, `$esbuild-watch`) reads. */
const reportPlugin = (label) => ({
  name: 'mailops-report',
  setup(build) {
    let started = 0;
    build.onStart(() => {
      started = Date.now();
      if (watch) console.log(`[watch] build started (${label})`);
    });
    build.onEnd((result) => {
      if (watch) {
        // esbuild is silent in watch mode; these are the lines the problem matcher reads.
        for (const [kind, list] of [['ERROR', result.errors], ['WARNING', result.warnings]]) {
          for (const { text, location } of list) {
            console.error(`✘ [${kind}] ${text}`);
            if (location) console.error(`    ${location.file}:${location.line}:${location.column}:`);
          }
        }
      }
      const ms = Date.now() - started;
      if (watch) console.log(`[watch] build finished (${label}, ${ms} ms)`);
      else if (result.errors.length === 0) console.log(`build: ${label} (${ms} ms)`);
    });
  },
});

const common = {
  bundle: true,
  minify: production,
  sourcemap: production ? false : 'inline',
  sourcesContent: !production,
  logLevel: watch ? 'silent' : 'warning',
  // import.meta has no meaning in a cjs bundle: fail the build rather than ship `undefined` paths.
  logOverride: { 'empty-import-meta': 'error' },
  absWorkingDir: root,
};

const node = {
  ...common,
  platform: 'node',
  format: 'cjs',
  target: 'node22',
  plugins: [nativeStubPlugin],
};

/** @type {{label: string, options: import('esbuild').BuildOptions, after?: () => Promise<void>}[]} */
const jobs = [];

jobs.push({
  label: 'dist/extension.js',
  options: { ...node, entryPoints: ['src/extension/extension.ts'], outfile: 'dist/extension.js', external: ['vscode'] },
});

if (existsSync(path.join(root, 'src/cli/main.ts'))) {
  const source = await readFile(path.join(root, 'src/cli/main.ts'), 'utf8');
  jobs.push({
    label: 'dist/cli.js',
    options: {
      ...node,
      entryPoints: ['src/cli/main.ts'],
      outfile: 'dist/cli.js',
      // esbuild keeps an entry point's own hashbang; add one only when the source has none.
      banner: source.startsWith('#!') ? undefined : { js: '#!/usr/bin/env node' },
    },
    after: () => chmod(path.join(root, 'dist/cli.js'), 0o755),
  });
} else {
  console.log('build: src/cli/main.ts does not exist yet; dist/cli.js skipped');
}

if (existsSync(path.join(root, 'webview/main.ts'))) {
  jobs.push({
    label: 'dist/webview.js',
    options: {
      ...common,
      entryPoints: ['webview/main.ts'],
      outfile: 'dist/webview.js',
      platform: 'browser',
      format: 'esm',
      target: 'es2022',
    },
  });
}

if (!production && existsSync(path.join(root, 'test/vscode/suite/index.ts'))) {
  jobs.push({
    label: 'dist/test/vscode/index.js',
    options: {
      ...node,
      entryPoints: ['test/vscode/suite/index.ts'],
      outfile: 'dist/test/vscode/index.js',
      // mocha is loaded from node_modules at run time (it requires its reporters by path).
      external: ['vscode', 'mocha'],
      plugins: [nativeStubPlugin, suitesPlugin],
    },
  });
}

async function copyCodicons() {
  const from = path.join(root, 'node_modules/@vscode/codicons/dist');
  const to = path.join(root, 'dist/codicons');
  await mkdir(to, { recursive: true });
  for (const f of ['codicon.css', 'codicon.ttf']) await copyFile(path.join(from, f), path.join(to, f));
}

const t0 = Date.now();
await copyCodicons();
if (watch) {
  for (const job of jobs) {
    const afterPlugin = job.after ? [{ name: 'after', setup: (b) => b.onEnd(async (r) => { if (!r.errors.length) await job.after(); }) }] : [];
    const ctx = await esbuild.context({ ...job.options, plugins: [...(job.options.plugins ?? []), ...afterPlugin, reportPlugin(job.label)] });
    await ctx.watch();
  }
  console.log('build: watching for changes (Ctrl+C to stop)');
} else {
  const results = await Promise.allSettled(
    jobs.map(async (job) => {
      await esbuild.build({ ...job.options, plugins: [...(job.options.plugins ?? []), reportPlugin(job.label)] });
      await job.after?.();
    }),
  );
  const failed = results.filter((r) => r.status === 'rejected');
  if (failed.length) {
    console.error(`build: ${failed.length} of ${jobs.length} bundles failed`);
    process.exit(1);
  }
  console.log(`build: done in ${Date.now() - t0} ms${production ? ' (production)' : ''}`);
}
