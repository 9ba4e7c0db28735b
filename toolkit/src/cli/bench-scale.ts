/**
 * The scaling parts of the bench:
 * - cost against size: epoch time for eps in {5, 10, 20, 50} and hidden width in {1k, 4k, 16k}, and the
 *   time per connection per sample, which should stay within a small factor across the table if cost is
 *   linear in the number of connections;
 * - where one training step's time goes, layer by layer (forward and backward), for chosen cells of that
 *   table: the figures that show which part keeps the cost from being linear;
 * - the reference SET code's own scaling experiment (3312 inputs, three hidden layers of N neurons,
 *   5 classes, 135 training samples, batch 2, eps 20; synthetic data of that shape): build time, one
 *   training epoch, one evolution step and peak memory, each N in its own process so that the peak
 *   memory is that run's alone.
 *
 * @packageDocumentation
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Backend } from '../backend/backend';
import { rngFor } from '../core/rng';
import { syntheticClassification } from '../data/synthetic';
import { evolveLayer } from '../evolution/evolve';
import { policyFrom } from '../evolution/registry';
import { mlp } from '../train/model';

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

/** Milliseconds per training step of one eps x width cell, split by layer and by phase. */
export interface LayerProfile {
  readonly eps: number;
  readonly width: number;
  readonly connections: number;
  /** The whole step: batch gathering, forward, loss, backward and optimizer update. */
  readonly stepMs: number;
  readonly nsPerConnectionSample: number;
  /**
   * Per segment (a layer, or a sparse layer fused with its rectifier and dropout, kind
   * `"sparse-linear+relu+dropout"`, on backends that fuse): its kind, connections (of its linear layer)
   * and ms per step forward and backward. A fused block's backward time is in the segment after it.
   */
  readonly layers: { readonly kind: string; readonly connections?: number; readonly forwardMs: number; readonly backwardMs: number }[];
  readonly lossMs: number;
  readonly optimizerMs: number;
  readonly gatherMs: number;
}

/**
 * Times the training steps of 784-W-W-W-10 networks (relu, dropout 0.3, SGD) segment by segment (see
 * `Sequential.segments`): `steps` steps after two warm-up epochs, each part timed on its own. The parts
 * add up to a step as `fit` runs it, without its per-epoch work, except that `fit` gathers the next batch
 * while the optimizer's update runs on the worker threads (here the two are timed apart).
 */
export async function layerProfiles(
  backend: Backend, cells: readonly (readonly [number, number])[], samples: number, batch: number, log: (s: string) => void, steps = 32,
): Promise<LayerProfile[]> {
  const data = syntheticClassification({ nSamples: samples, nFeatures: 784, nClasses: 10, seed: 3 });
  const out: LayerProfile[] = [];
  log(`
where a training step goes (784-W-W-W-10, batch ${batch}, ${backend.threads} thread(s), mean of ${steps} steps, ms per step):`);
  for (const [eps, width] of cells) {
    const model = mlp([784, width, width, width, 10], { sparsity: { kind: 'erdos-renyi', eps }, activation: 'relu', dropout: 0.3, seed: 1, backend });
    model.compile({ optimizer: { name: 'sgd', lr: 0.01 }, policy: 'static' });
    await model.fit(data, { epochs: 2, batchSize: batch });
    const net = model.network;
    const x = backend.memory.allocFloat32(784 * batch);
    const grad = backend.memory.allocFloat32(10 * batch);
    const y = new Int32Array(batch), pred = new Int32Array(batch);
    const order = Int32Array.from({ length: samples }, (_, i) => i);
    const segments = net.segments();
    const fwd = segments.map(() => 0), bwd = segments.map(() => 0);
    let gather = 0, loss = 0, optim = 0;
    const batches = Math.floor(samples / batch);
    for (let s = 0; s < steps; s++) {
      let t = performance.now();
      const lap = (): number => {
        const now = performance.now();
        const dt = now - t;
        t = now;
        return dt;
      };
      data.gather(order, (s % batches) * batch, batch, x, y);
      gather += lap();
      const h = net.forward(x, batch, { training: true, seed: 1, step: s }, (k) => (fwd[k]! += lap()));
      backend.softmaxCrossEntropy(h, y, 10, batch, grad, pred);
      loss += lap();
      net.backward(grad, batch, { probe: (k) => (bwd[k]! += lap()), overwriteActivations: true });
      model.optimizer.step(net.params(), backend).wait();
      optim += lap();
    }
    backend.memory.sync();
    const per = (v: number): number => v / steps;
    const layers = segments.map((seg, i) => {
      const c = net.layers[seg.first]!.summary().detail?.connections;
      return { kind: seg.kind, ...(typeof c === 'number' ? { connections: c } : {}), forwardMs: per(fwd[i]!), backwardMs: per(bwd[i]!) };
    });
    const stepMs = per(gather + loss + optim + fwd.reduce((a, b) => a + b, 0) + bwd.reduce((a, b) => a + b, 0));
    const connections = model.connectionCount();
    const p: LayerProfile = {
      eps, width, connections, stepMs, nsPerConnectionSample: (stepMs * 1e6) / (connections * batch), layers,
      lossMs: per(loss), optimizerMs: per(optim), gatherMs: per(gather),
    };
    out.push(p);
    log(`eps ${eps}, width ${width}: ${stepMs.toFixed(2)} ms per step, ${p.nsPerConnectionSample.toFixed(3)} ns per connection per sample`);
    for (const l of layers) {
      log(`  ${l.kind.padEnd(28)}${(l.connections !== undefined ? String(l.connections) : '').padStart(10)}  forward ${l.forwardMs.toFixed(3).padStart(8)}  backward ${l.backwardMs.toFixed(3).padStart(8)}`);
    }
    log(`  batch gather ${p.gatherMs.toFixed(3)}, loss ${p.lossMs.toFixed(3)}, optimizer ${p.optimizerMs.toFixed(3)}`);
  }
  return out;
}

/** One cell of the eps x width table. */
export interface CostRow {
  readonly eps: number;
  readonly width: number;
  readonly connections: number;
  readonly samplesTimed: number;
  /** Seconds per epoch of 60,000 samples, extrapolated linearly from the timed samples (median over the rounds). */
  readonly epochSeconds: number;
  /** Nanoseconds per connection per sample (forward, backward and update), from the median round. */
  readonly nsPerConnectionSample: number;
  /**
   * The same from the cell's fastest round: on a shared machine, interference only ever slows a round down,
   * so the fastest is the closest to what the code costs on a quiet machine (printed beside the median).
   */
  readonly nsPerConnectionSampleBest: number;
  /** The per-round figures (seconds per epoch of the timed samples) the median was taken over. */
  readonly roundSeconds: number[];
  /** Epochs of each round (one fit call). */
  readonly epochsPerRound: number;
}

/**
 * Times training of 784-W-W-W-10 networks at each eps and width on `samples` synthetic samples. All the
 * networks are built first; then, in each of `rounds` rounds, every cell trains in turn for about
 * `minRoundSeconds` (one fit call of whole epochs, as many as a timed epoch before the rounds says fill
 * that time), and a cell's figure is the median of its rounds. Interleaving the cells
 * spreads a slow spell of the machine (another tenant, a frequency change) over all of them instead of
 * charging it to whichever cell was running, so the spread of the table measures the cells, not the clock.
 */
export async function costTable(
  backend: Backend, epsList: readonly number[], widths: readonly number[], samples: number, batch: number, log: (s: string) => void,
  rounds = 11, minRoundSeconds = 0.2,
): Promise<CostRow[]> {
  const data = syntheticClassification({ nSamples: samples, nFeatures: 784, nClasses: 10, seed: 3 });
  log(
    `\ncost against size (784-W-W-W-10, batch ${batch}, ${backend.threads} thread(s), ${samples} samples per epoch, ` +
      `median of ${rounds} interleaved rounds, extrapolated to 60,000):`,
  );
  // Warm up the JIT and the kernels once, so the first cell is not charged for it.
  const warm = mlp([784, 200, 200, 200, 10], { sparsity: { kind: 'erdos-renyi', eps: 5 }, seed: 1, backend });
  warm.compile({ optimizer: { name: 'sgd', lr: 0.01 }, policy: 'static' });
  await warm.fit(data, { epochs: 2, batchSize: batch });
  const cells: { eps: number; width: number; model: ReturnType<typeof mlp>; epochs: number; seconds: number[] }[] = [];
  for (const width of widths) {
    for (const eps of epsList) {
      const model = mlp([784, width, width, width, 10], { sparsity: { kind: 'erdos-renyi', eps }, activation: 'relu', dropout: 0.3, seed: 1, backend });
      model.compile({ optimizer: { name: 'sgd', lr: 0.01 }, policy: 'static' });
      await model.fit(data, { epochs: 1, batchSize: batch });
      // A round trains the cell in ONE fit call of enough epochs to last minRoundSeconds, as a real run
      // trains (one call, many epochs): a call's own set-up, and the first steps after another cell ran
      // (its weights out of cache), are then spread over the round instead of charged to every small epoch
      // and multiplied by the extrapolation to 60,000 samples.
      const t0 = performance.now();
      await model.fit(data, { epochs: 1, batchSize: batch });
      const epochs = Math.max(1, Math.ceil(minRoundSeconds / ((performance.now() - t0) / 1000)));
      cells.push({ eps, width, model, epochs, seconds: [] });
    }
  }
  for (let r = 0; r < rounds; r++) {
    for (const cell of cells) {
      const t0 = performance.now();
      await cell.model.fit(data, { epochs: cell.epochs, batchSize: batch });
      cell.seconds.push((performance.now() - t0) / 1000 / cell.epochs);
    }
  }
  log('eps'.padStart(5) + 'width'.padStart(8) + 'connections'.padStart(14) + 's/epoch'.padStart(10) + 'ns/conn/sample'.padStart(16) + 'fastest round'.padStart(15));
  const rows: CostRow[] = cells.map(({ eps, width, model, epochs, seconds: s }) => {
    const seconds = median(s);
    const connections = model.connectionCount();
    const row: CostRow = {
      eps, width, connections, samplesTimed: samples,
      epochSeconds: (seconds * 60000) / samples,
      nsPerConnectionSample: (seconds * 1e9) / (connections * samples),
      nsPerConnectionSampleBest: (Math.min(...s) * 1e9) / (connections * samples),
      roundSeconds: s,
      epochsPerRound: epochs,
    };
    log(
      String(eps).padStart(5) + String(width).padStart(8) + String(connections).padStart(14) + row.epochSeconds.toFixed(2).padStart(10) +
        row.nsPerConnectionSample.toFixed(3).padStart(16) + row.nsPerConnectionSampleBest.toFixed(3).padStart(15),
    );
    return row;
  });
  const spread = (ns: number[]): string => `min ${Math.min(...ns).toFixed(3)} ns, max ${Math.max(...ns).toFixed(3)} ns (ratio ${(Math.max(...ns) / Math.min(...ns)).toFixed(2)})`;
  log(`time per connection per sample: ${spread(rows.map((r) => r.nsPerConnectionSample))}`);
  log(`  from each cell's fastest round: ${spread(rows.map((r) => r.nsPerConnectionSampleBest))}`);
  return rows;
}

/** The figures of one scaling point. */
export interface ScalePoint {
  readonly n: number;
  readonly hiddenNeurons: number;
  readonly connections: number;
  readonly buildSeconds: number;
  readonly epochSeconds: number;
  readonly evolutionSeconds: number;
  readonly peakMemoryGiB: number;
  readonly backend: string;
  readonly threads: number;
}

/**
 * Runs one scaling point in this process (called in a child process by {@link scaleTable}): build the
 * 3312-N-N-N-5 network (eps 20), train one epoch on 135 synthetic samples at batch 2, evolve every layer once.
 */
export async function scalePoint(n: number, backend: Backend): Promise<ScalePoint> {
  const data = syntheticClassification({ nSamples: 135, nFeatures: 3312, nClasses: 5, seed: 7 });
  const t0 = performance.now();
  const model = mlp([3312, n, n, n, 5], { sparsity: { kind: 'erdos-renyi', eps: 20 }, activation: 'relu', seed: 1, backend });
  model.compile({ optimizer: { name: 'sgd', lr: 0.01 }, policy: 'static' });
  const t1 = performance.now();
  await model.fit(data, { epochs: 1, batchSize: 2 });
  const t2 = performance.now();
  const policy = policyFrom('set');
  const ctx = { event: 'epoch-end' as const, epoch: 0, epochs: 2, step: 0, totalSteps: 1 };
  for (const [l, layer] of model.network.sparseLayers().entries()) {
    if (!layer.evolvable) continue;
    const r = evolveLayer(layer.weights, policy, ctx, l, rngFor(1, 'bench-scale', l));
    layer.setWeights(r.weights);
    model.optimizer.remap(layer.weight, r.map);
  }
  const t3 = performance.now();
  return {
    n, hiddenNeurons: 3 * n, connections: model.connectionCount(),
    buildSeconds: (t1 - t0) / 1000, epochSeconds: (t2 - t1) / 1000, evolutionSeconds: (t3 - t2) / 1000,
    peakMemoryGiB: process.resourceUsage().maxRSS / 2 ** 20, backend: `${backend.name}:${backend.mode}`, threads: backend.threads,
  };
}

/** Runs each scaling point in a child process (`synapses-ts bench --scale-point N`) and prints the table. */
export async function scaleTable(ns: readonly number[], backendName: string, threads: number, log: (s: string) => void): Promise<(ScalePoint | { n: number; error: string })[]> {
  const run = promisify(execFile);
  const out: (ScalePoint | { n: number; error: string })[] = [];
  log(`\nscaling (3312-N-N-N-5, eps 20, 135 samples, batch 2, ${threads} thread${threads > 1 ? 's' : ''}; reference SET code at N = 300,000: build 281 s, epoch 130 s, evolution 655 s, 2.8 GB):`);
  log('N'.padStart(9) + 'hidden'.padStart(10) + 'connections'.padStart(14) + 'build s'.padStart(10) + 'epoch s'.padStart(10) + 'evolve s'.padStart(10) + 'epoch+evolve'.padStart(14) + 'peak GiB'.padStart(10));
  for (const n of ns) {
    try {
      const r = await run(process.execPath, ['--max-old-space-size=16384', process.argv[1]!, 'bench', '--scale-point', String(n), '--backend', backendName, '--threads', String(threads)], { maxBuffer: 1 << 24 });
      const p = JSON.parse(r.stdout.trim().split('\n').pop()!) as ScalePoint;
      out.push(p);
      log(String(n).padStart(9) + String(p.hiddenNeurons).padStart(10) + String(p.connections).padStart(14) + p.buildSeconds.toFixed(2).padStart(10) +
        p.epochSeconds.toFixed(2).padStart(10) + p.evolutionSeconds.toFixed(2).padStart(10) + (p.epochSeconds + p.evolutionSeconds).toFixed(2).padStart(14) + p.peakMemoryGiB.toFixed(2).padStart(10));
    } catch (e) {
      const msg = String((e as { stderr?: string }).stderr || (e as Error).message).split('\n').slice(-3).join(' ');
      out.push({ n, error: msg });
      log(`${String(n).padStart(9)}  failed: ${msg}`);
    }
  }
  return out;
}
