/**
 * Milliseconds per backend op on the shapes of one training step of a network: each op timed on its own
 * (called for every layer it applies to, as a step does), inputs fixed and seeded.
 *
 * @packageDocumentation
 */
import type { Backend } from '../backend/backend';
import { rngFor } from '../core/rng';
import type { SparseLinear } from '../nn/sparse-linear';

/** Median-free timing: runs `fn` once to warm up, then repeatedly for at least `minSeconds`; ms per call. */
export function timeMs(fn: () => void, minSeconds = 0.3, minReps = 3): number {
  fn();
  let reps = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < minSeconds * 1000 || reps < minReps) {
    fn();
    reps++;
  }
  return (performance.now() - t0) / reps;
}

/** The ops timed by {@link opMilliseconds}, in table order. */
export const BENCH_OPS = [
  'spmmForward', 'spmmInputGrad', 'spmmWeightGrad', 'sparseBackward', 'biasGrad',
  'unaryForward', 'unaryBackward', 'dropoutForward', 'softmaxCrossEntropy', 'sgdStep',
] as const;

/**
 * Milliseconds per training step spent in each op, summed over the layers it applies to: the sparse products
 * over every sparse layer; the activation, its gradient and dropout over every hidden layer; the loss once;
 * SGD over every weight and bias array. `sparseBackward` is the backward request of the three sparse products
 * (fused where the backend fuses, composed of the three ops on the CPU reference); `alpha` is the activation's
 * negative slope. On a backend that keeps op outputs on a device, each timing includes bringing the outputs
 * home (`Backend.memory.sync`).
 */
export function opMilliseconds(backend: Backend, layers: readonly SparseLinear[], batch: number, alpha = 0.6, minSeconds = 0.3): Record<string, number> {
  const r = rngFor(2, 'bench-ops', batch);
  const rand = (n: number, scale = 1): Float32Array => Float32Array.from({ length: n }, () => (2 * r.float() - 1) * scale);
  const bufs = layers.map((l) => ({
    l,
    x: rand(l.nIn * batch),
    dy: rand(l.nOut * batch, 0.1),
    y: new Float32Array(l.nOut * batch),
    z: new Float32Array(l.nOut * batch),
    dx: new Float32Array(l.nIn * batch),
    dw: new Float32Array(l.connections),
    db: new Float32Array(l.nOut),
    vel: new Float32Array(l.connections),
    bvel: new Float32Array(l.nOut),
    mask: Uint8Array.from({ length: l.nOut * batch }, () => (r.float() < 0.7 ? 1 : 0)),
  }));
  const hidden = bufs.slice(0, -1);
  const last = bufs[bufs.length - 1]!;
  const classes = last.l.nOut;
  const labels = Int32Array.from({ length: batch }, () => r.int(classes));
  const pred = new Int32Array(batch);
  const sgd = { lr: 0.01, momentum: 0.9, weightDecay: 0.0002, nesterov: false };
  const ms: Record<string, number> = {};
  // A backend that keeps outputs on a device syncs inside the timing: each op is timed as a round trip
  // (inputs up, outputs back), as the op would cost on its own.
  const t = (fn: () => void): number =>
    timeMs(() => {
      fn();
      backend.memory.sync();
    }, minSeconds);
  ms.spmmForward = t(() => bufs.forEach((b) => backend.spmmForward(b.l.weights, b.x, batch, b.l.bias.values, b.y)));
  ms.spmmInputGrad = t(() => bufs.forEach((b) => backend.spmmInputGrad(b.l.weights, b.dy, batch, b.dx)));
  ms.spmmWeightGrad = t(() => bufs.forEach((b) => backend.spmmWeightGrad(b.l.weights, b.dy, b.x, batch, b.dw)));
  ms.sparseBackward = t(() => bufs.forEach((b, i) => backend.sparseBackward({ w: b.l.weights, dy: b.dy, x: b.x, batch, dw: b.dw, db: b.db, dx: i > 0 ? b.dx : null })));
  ms.biasGrad = t(() => bufs.forEach((b) => backend.biasGrad(b.dy, b.l.nOut, batch, b.db)));
  ms.unaryForward = t(() => hidden.forEach((b) => backend.unaryForward('leaky-relu', b.dy, alpha, b.y)));
  ms.unaryBackward = t(() => hidden.forEach((b) => backend.unaryBackward('leaky-relu', b.dy, b.y, b.dy, alpha, b.z)));
  ms.dropoutForward = t(() => hidden.forEach((b) => backend.dropoutForward(b.dy, b.mask, 1 / 0.7, b.y)));
  ms.softmaxCrossEntropy = t(() => backend.softmaxCrossEntropy(last.dy, labels, classes, batch, last.y, pred));
  // On copies, so that repeated steps do not walk the weights anywhere.
  const params = bufs.map((b) => ({ w: b.l.weights.values.slice(), bias: b.l.bias.values.slice(), b }));
  ms.sgdStep = t(() =>
    params.forEach((p) => {
      backend.sgdStep(p.w, p.b.dw, p.b.vel, sgd);
      backend.sgdStep(p.bias, p.b.db, p.b.bvel, { ...sgd, weightDecay: 0 });
    }),
  );
  return ms;
}
