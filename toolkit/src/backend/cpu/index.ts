/**
 * The CPU reference backend: readable loops over typed arrays, always available. Every other backend is
 * checked against it. One thread, plain host memory ({@link cpuMemory}); its fused sparse ops are the
 * composition of its unfused ones (sparse-fused.ts), so it reports `fusesRectifiers: false`.
 *
 * @packageDocumentation
 */
import type { Backend } from '../backend';
import { sreluBackward, sreluForward, softmaxBackward, softmaxForward, unaryBackward, unaryForward, dropoutForward } from './activation';
import { dropout } from './dropout';
import { biasGrad, denseForward, denseInputGrad, denseWeightGrad } from './dense';
import { mseOneHot, softmaxCrossEntropy } from './loss';
import { cpuMemory } from './memory';
import { adamStep, sgdStep, sgdSteps } from './optim';
import { spmmForward, spmmInputGrad, spmmWeightGrad } from './sparse';
import { fusedSparseOps } from './sparse-fused';
import { sparseInputForward, sparseInputWeightGrad } from './sparse-input';

/** Creates the CPU reference backend. */
export function cpuBackend(): Backend {
  const { sparseForward, sparseBackward } = fusedSparseOps({
    spmmForward, spmmWeightGrad, spmmInputGrad, biasGrad, unaryForward, unaryBackward, dropout, dropoutForward, memory: cpuMemory,
  });
  return {
    name: 'cpu',
    mode: 'reference',
    threads: 1,
    fusesRectifiers: false,
    memory: cpuMemory,
    spmmForward,
    spmmInputGrad,
    spmmWeightGrad,
    sparseForward,
    sparseBackward,
    sparseInputForward,
    sparseInputWeightGrad,
    denseForward,
    denseInputGrad,
    denseWeightGrad,
    biasGrad,
    unaryForward,
    unaryBackward,
    sreluForward,
    sreluBackward,
    softmaxForward,
    softmaxBackward,
    dropoutForward,
    dropout,
    softmaxCrossEntropy,
    mseOneHot,
    sgdStep,
    sgdSteps,
    adamStep,
  };
}
