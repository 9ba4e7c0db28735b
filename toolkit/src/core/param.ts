/**
 * A trainable array and its gradient: what layers own (nn/) and optimizers update (optim/). It lives here,
 * below both, so that optim/ does not import nn/ (DESIGN.md's arrows).
 *
 * @packageDocumentation
 */

/**
 * A trainable array and its gradient. A sparse layer's weight parameter holds one value per connection;
 * when the topology changes, the layer swaps `values`/`grad` and the optimizer remaps its state.
 */
export interface Param {
  /** Qualified name, e.g. `"layers.0.weight"`. */
  readonly name: string;
  /** Current values (owned by the layer). */
  values: Float32Array;
  /** Gradient of the mean loss, same length as `values`; overwritten by each backward pass. */
  grad: Float32Array;
  /** Whether weight decay applies (weights yes; biases and activation parameters no). */
  readonly decay: boolean;
  /**
   * What the array is: the weights or biases of a linear layer, or another trainable array (activation
   * parameters). Absent: other. The reference SET code's weight decay applies to weights and biases.
   */
  readonly role?: 'weight' | 'bias';
}
