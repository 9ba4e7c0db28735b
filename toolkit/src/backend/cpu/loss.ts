/**
 * Losses over feature-major outputs (n classes x batch). Each returns the SUM of per-sample losses and
 * writes the gradient of the MEAN loss, so the trainer reports means and steps on the mean.
 *
 * @packageDocumentation
 */

/** Softmax cross-entropy on logits; writes `grad = (softmax - onehot) / batch` and the argmax to `pred`. */
export function softmaxCrossEntropy(
  logits: Float32Array, labels: Int32Array, n: number, batch: number, grad: Float32Array, pred: Int32Array,
): number {
  let total = 0;
  const inv = 1 / batch;
  for (let b = 0; b < batch; b++) {
    let m = -Infinity;
    let arg = 0;
    for (let f = 0; f < n; f++) {
      const v = logits[f * batch + b]!;
      if (v > m) {
        m = v;
        arg = f;
      }
    }
    let s = 0;
    for (let f = 0; f < n; f++) s += Math.exp(logits[f * batch + b]! - m);
    const logS = Math.log(s);
    const label = labels[b]!;
    total += -(logits[label * batch + b]! - m - logS);
    for (let f = 0; f < n; f++) {
      const p = Math.exp(logits[f * batch + b]! - m - logS);
      grad[f * batch + b] = (p - (f === label ? 1 : 0)) * inv;
    }
    pred[b] = Number.isNaN(m) ? -1 : arg;
  }
  return total;
}

/** Mean squared error against one-hot labels: per sample `sum_f (y_f - t_f)^2 / n`. */
export function mseOneHot(
  output: Float32Array, labels: Int32Array, n: number, batch: number, grad: Float32Array, pred: Int32Array,
): number {
  let total = 0;
  const scale = 2 / (n * batch);
  for (let b = 0; b < batch; b++) {
    let m = -Infinity;
    let arg = 0;
    let s = 0;
    const label = labels[b]!;
    for (let f = 0; f < n; f++) {
      const v = output[f * batch + b]!;
      if (v > m) {
        m = v;
        arg = f;
      }
      const d = v - (f === label ? 1 : 0);
      s += d * d;
      grad[f * batch + b] = scale * d;
    }
    total += s / n;
    pred[b] = Number.isNaN(m) ? -1 : arg;
  }
  return total;
}
