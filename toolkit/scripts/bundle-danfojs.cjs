#!/usr/bin/env node
/**
 * Stages (or, with `--clean`, removes) the bundled copy of danfojs-node that `npm pack` ships inside the
 * synapses-ts tarball (`bundleDependencies` in toolkit/package.json; run by the `prepack` and `postpack`
 * scripts).
 *
 * Why a bundle: danfojs-node 1.2.0 declares `xlsx` as a CDN URL (https://cdn.sheetjs.com/...) and depends on
 * `@tensorflow/tfjs-node`, whose install script downloads a native TensorFlow library. Neither installs on a
 * machine that reaches only the npm registry, and the `overrides` that fix both in this repository's root
 * package.json do not apply to a project that installs synapses-ts. A bundled dependency is installed from the
 * tarball as it is, never resolved again, so the fix travels with the package:
 * - danfojs-node and everything it needs (its dependencies' dependencies too) are copied from the
 *   repository's node_modules, with `xlsx` 0.18.5 from the npm registry in place of the CDN tarball;
 * - `@tensorflow/tfjs-node` is NOT bundled (TensorFlow.js is large): synapses-ts itself depends on
 *   `"@tensorflow/tfjs-node": "npm:@tensorflow/tfjs@3.21.0"` (the pure JavaScript TensorFlow.js under the name
 *   danfojs-node requires), which npm installs from the registry next to synapses-ts, where Node's module
 *   resolution finds it from the bundled danfojs-node.
 *
 * npm does not bundle dependencies that a workspace hoisted to the repository root
 * (https://github.com/npm/cli/issues/3466), hence this copy into toolkit/node_modules. It is nested under
 * toolkit/node_modules/danfojs-node, so that nothing but danfojs-node resolves to it.
 *
 * The copy lives only while `npm pack` runs: `postpack` removes it (`--clean`). Left in place, the toolkit's
 * type declarations would resolve danfojs-node's types to it, and tslab (which emits declarations) refuses a
 * notebook whose inferred types name a package nested inside another one. The copy is built in a temporary
 * folder and renamed into place in one step, so a reader never sees half of one. The packages are copied from
 * the repository's node_modules, or from `$SYNAPSES_BUNDLE_SOURCE` (a folder whose node_modules holds them)
 * when the toolkit is packed from a copy outside the repository, as the package test does so that packing
 * never touches the repository a concurrent test reads.
 */
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const toolkit = path.resolve(__dirname, '..');
const target = path.join(toolkit, 'node_modules');
/** Provided next to the bundle by a regular dependency of synapses-ts (see above). */
const NOT_BUNDLED = new Set(['@tensorflow/tfjs-node']);

/** Node's resolution of package `name` from the package folder `from`: the nearest node_modules/name up the tree. */
function locate(name, from) {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'node_modules', name);
    if (fs.existsSync(path.join(candidate, 'package.json'))) return fs.realpathSync(candidate);
    if (path.dirname(dir) === dir) return null;
  }
}

function clean() {
  fs.rmSync(path.join(target, 'danfojs-node'), { recursive: true, force: true });
  try {
    fs.rmdirSync(target); // only when empty: never remove anything this script did not write
  } catch {
    // not empty or absent
  }
}

function stage() {
  // From the repository root: from toolkit/ it would find this script's own copy.
  const root = locate('danfojs-node', process.env.SYNAPSES_BUNDLE_SOURCE || path.dirname(toolkit));
  if (root === null) throw new Error('danfojs-node is not installed in the repository; run `npm run setup` first');
  if (!fs.existsSync(path.join(toolkit, 'dist', 'index.js')) || !fs.existsSync(path.join(toolkit, 'dist', 'wasm', 'kernels.wasm'))) {
    throw new Error('toolkit/dist (with the wasm kernels) is not built; run `npm run setup` first');
  }
  // Every package folder danfojs-node needs, found as Node would find it from each requiring package.
  const seen = new Set([root]);
  const queue = [root];
  const copies = new Map(); // bundle name -> source folder (top-level packages of the closure)
  while (queue.length > 0) {
    const dir = queue.shift();
    const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
    for (const name of Object.keys({ ...pkg.dependencies, ...pkg.optionalDependencies })) {
      if (NOT_BUNDLED.has(name)) continue;
      const found = locate(name, dir);
      if (found === null) {
        if (pkg.optionalDependencies && name in pkg.optionalDependencies) continue;
        throw new Error(`${name}, a dependency of ${pkg.name}, is not installed`);
      }
      if (seen.has(found)) continue;
      seen.add(found);
      queue.push(found);
    }
  }
  for (const dir of seen) {
    if (dir === root) continue;
    // A package nested inside another copied package travels with that package's folder.
    if ([...seen].some((other) => other !== dir && other !== root && dir.startsWith(other + path.sep))) continue;
    if (dir.startsWith(root + path.sep)) continue; // nested under danfojs-node already: copied with it
    // The folder's name under its node_modules (an npm alias installs a package under another name).
    const marker = path.sep + 'node_modules' + path.sep;
    const at = dir.slice(dir.lastIndexOf(marker) + marker.length);
    if (copies.has(at)) throw new Error(`two versions of ${at} would be bundled at the same place (${copies.get(at)} and ${dir})`);
    copies.set(at, dir);
  }
  const bundle = path.join(target, 'danfojs-node');
  const versionOf = (dir) => JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')).version;
  const stamp = JSON.stringify([`danfojs-node@${versionOf(root)}`, ...[...copies].map(([name, dir]) => `${name}@${versionOf(dir)}`).sort()]);
  const stampFile = path.join(bundle, '.synapses-bundle-stamp');
  if (fs.existsSync(stampFile) && fs.readFileSync(stampFile, 'utf8') === stamp) {
    process.stdout.write(`bundle-danfojs: ${path.relative(process.cwd(), bundle) || bundle} is up to date (danfojs-node and ${copies.size} packages)\n`);
    return;
  }
  const staging = path.join(target, `.danfojs-node-staging-${process.pid}`);
  fs.rmSync(staging, { recursive: true, force: true });
  fs.cpSync(root, staging, { recursive: true, dereference: true });
  for (const [name, dir] of copies) fs.cpSync(dir, path.join(staging, 'node_modules', name), { recursive: true, dereference: true });
  fs.writeFileSync(path.join(staging, '.synapses-bundle-stamp'), stamp);
  // A stale copy is moved aside in one step, then the new one moved in: a reader finds a whole copy or none
  // (and then the repository's danfojs-node, the same code).
  const old = path.join(target, `.danfojs-node-old-${process.pid}`);
  if (fs.existsSync(bundle)) fs.renameSync(bundle, old);
  fs.renameSync(staging, bundle);
  fs.rmSync(old, { recursive: true, force: true });
  process.stdout.write(`bundle-danfojs: staged danfojs-node and ${copies.size} packages it needs in ${path.relative(process.cwd(), bundle) || bundle}\n`);
}

try {
  if (process.argv.includes('--clean')) clean();
  else stage();
} catch (e) {
  process.stderr.write(`bundle-danfojs: ${e.message}\n`);
  process.exit(1);
}
