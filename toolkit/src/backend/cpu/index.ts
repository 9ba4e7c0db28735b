/**
 * The CPU reference backend: readable loops over typed arrays, always available. Every other backend is
 * checked against it.
 *
 * @packageDocumentation
 */
import type { Backend } from '../backend';
import { sreluBackward, sreluForward, softmaxBackward, softmaxForward, unaryBackward, unaryForward, dropoutForward } from './activation';
import { dropout } from './dropout';
import { biasGrad, denseForward, denseInputGrad, denseWeightGrad } from './dense';
import { mseOneHot, softmaxCrossEntropy } from './loss';
import { adamStep, sgdStep } from './optim';
import { spmmForward, spmmInputGrad, spmmWeightGrad } from './sparse';
import { sparseInputForward, sparseInputWeightGrad } from './sparse-input';

/** Creates the CPU reference backend. */
export function cpuBackend(): Backend {
  return {
    name: 'cpu',
    mode: 'reference',
    spmmForward,
    spmmInputGrad,
    spmmWeightGrad,
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
    adamStep,
  };
}
