/**
 * The dense baseline of the bench: the same network trained densely with TensorFlow.js on its WebAssembly
 * backend (with SIMD), the dense library JavaScript users would pick. A few hundred batches are timed and
 * extrapolated to an epoch, so the sparse/dense ratio is measured side by side in one run.
 *
 * TensorFlow.js is a development dependency of this repository (not of the toolkit): it is loaded lazily,
 * and the baseline is reported as unavailable, with the reason, where it is not installed.
 *
 * @packageDocumentation
 */
import * as path from 'node:path';
import type { DenseDataset } from '../data/dataset';

/** The dense baseline's measurements. */
export interface DenseBaseline {
  readonly library: string;
  readonly backend: string;
  readonly batch: number;
  readonly batchesTimed: number;
  readonly secondsPerBatch: number;
  /** Extrapolated to `samples` training samples. */
  readonly epochSeconds: number;
  readonly weights: number;
}

/** Times dense training of `sizes` on `data` with TensorFlow.js (wasm backend). */
export async function denseBaseline(
  data: DenseDataset, sizes: readonly number[], batch: number, batchesTimed: number, samples: number,
): Promise<DenseBaseline | { unavailable: string }> {
  let tf: typeof import('@tensorflow/tfjs-core');
  let layers: typeof import('@tensorflow/tfjs-layers');
  let wasm: typeof import('@tensorflow/tfjs-backend-wasm');
  try {
    tf = await import('@tensorflow/tfjs-core');
    layers = await import('@tensorflow/tfjs-layers');
    wasm = await import('@tensorflow/tfjs-backend-wasm');
  } catch (e) {
    return { unavailable: `TensorFlow.js is not installed (${(e as Error).message.split('\n')[0]}); npm ci in the repository installs it` };
  }
  wasm.setWasmPaths(path.join(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + path.sep);
  await tf.setBackend('wasm');
  await tf.ready();
  const model = layers.sequential();
  sizes.slice(1).forEach((n, l) => {
    const last = l === sizes.length - 2;
    model.add(layers.layers.dense({ units: n, inputShape: l === 0 ? [sizes[0]!] : undefined, activation: last ? 'softmax' : 'relu', kernelInitializer: 'heUniform' }));
    if (!last) model.add(layers.layers.dropout({ rate: 0.3 }));
  });
  model.compile({ optimizer: tf.train.momentum(0.01, 0.9), loss: 'sparseCategoricalCrossentropy' });
  const nF = data.nFeatures;
  const n = Math.min(data.nSamples, batch * (batchesTimed + 2));
  const x = tf.tensor2d(data.features.subarray(0, n * nF), [n, nF]);
  const y = tf.tensor1d(Float32Array.from(data.labels.subarray(0, n)));
  // One warm-up batch (kernel set-up), then the timed ones.
  await model.fit(tf.slice(x, [0, 0], [batch, nF]), tf.slice(y, [0], [batch]), { batchSize: batch, epochs: 1, verbose: 0 });
  const t0 = performance.now();
  const timed = Math.min(batchesTimed, Math.floor(n / batch) - 1);
  await model.fit(tf.slice(x, [batch, 0], [timed * batch, nF]), tf.slice(y, [batch], [timed * batch]), { batchSize: batch, epochs: 1, verbose: 0, shuffle: false });
  const secondsPerBatch = (performance.now() - t0) / 1000 / timed;
  const weights = sizes.slice(1).reduce((a, v, l) => a + v * sizes[l]!, 0);
  tf.dispose([x, y]);
  model.dispose();
  return {
    library: `@tensorflow/tfjs-core ${tf.version_core}`, backend: `${tf.getBackend()} (SIMD)`, batch, batchesTimed: timed,
    secondsPerBatch, epochSeconds: secondsPerBatch * Math.ceil(samples / batch), weights,
  };
}
