/**
 * Dense linear-layer products with row-major weights `w[j * nIn + i]` (nOut x nIn), feature-major
 * activations. Used by dense layers and dense baselines.
 *
 * @packageDocumentation
 */

/** `y[j,:] = bias[j] + sum_i w[j,i] * x[i,:]`. */
export function denseForward(
  w: Float32Array, nIn: number, nOut: number, x: Float32Array, batch: number, bias: Float32Array | null, y: Float32Array,
): Float32Array {
  for (let j = 0; j < nOut; j++) {
    const yo = j * batch;
    const b0 = bias === null ? 0 : bias[j]!;
    for (let b = 0; b < batch; b++) y[yo + b] = b0;
    const wo = j * nIn;
    for (let i = 0; i < nIn; i++) {
      const wji = w[wo + i]!;
      const xo = i * batch;
      for (let b = 0; b < batch; b++) y[yo + b] += wji * x[xo + b]!;
    }
  }
  return y;
}

/** `dx[i,:] = sum_j w[j,i] * dy[j,:]` (overwrites dx). */
export function denseInputGrad(w: Float32Array, nIn: number, nOut: number, dy: Float32Array, batch: number, dx: Float32Array): Float32Array {
  dx.fill(0, 0, nIn * batch);
  for (let j = 0; j < nOut; j++) {
    const go = j * batch;
    const wo = j * nIn;
    for (let i = 0; i < nIn; i++) {
      const wji = w[wo + i]!;
      const xo = i * batch;
      for (let b = 0; b < batch; b++) dx[xo + b] += wji * dy[go + b]!;
    }
  }
  return dx;
}

/** `dw[j,i] = dot(dy[j,:], x[i,:])`. */
export function denseWeightGrad(nIn: number, nOut: number, dy: Float32Array, x: Float32Array, batch: number, dw: Float32Array): Float32Array {
  for (let j = 0; j < nOut; j++) {
    const go = j * batch;
    for (let i = 0; i < nIn; i++) {
      const xo = i * batch;
      let s = 0;
      for (let b = 0; b < batch; b++) s += dy[go + b]! * x[xo + b]!;
      dw[j * nIn + i] = s;
    }
  }
  return dw;
}

/** `db[j] = sum_b dy[j,b]`. */
export function biasGrad(dy: Float32Array, n: number, batch: number, db: Float32Array): Float32Array {
  for (let j = 0; j < n; j++) {
    let s = 0;
    const o = j * batch;
    for (let b = 0; b < batch; b++) s += dy[o + b]!;
    db[j] = s;
  }
  return db;
}
