/**
 * The terminal progress display of training: a cli-progress bar per epoch (verbose 1, on a terminal) and
 * one plain line per finished epoch (verbose 2, and verbose 1 where no bar can be drawn: logs, pipes, CI).
 * Writes to stderr by default, so stdout stays machine-readable.
 *
 * @packageDocumentation
 */
import { SingleBar } from 'cli-progress';
import type { EvolutionReport } from '../evolution/types';
import type { Callbacks, EpochLogs } from '../train/history';
import { formatFlops } from '../train/flops';
import type { Verbosity } from '../train/progress';

function pct(x: number | undefined): string {
  return x === undefined ? '  -   ' : `${(100 * x).toFixed(2)}%`;
}

/**
 * Formats one epoch's logs as a line.
 * @param epochs - the planned number of epochs of the run (the `N` of `epoch k/N`).
 */
export function epochLine(l: EpochLogs, epochs: number): string {
  return (
    `epoch ${String(l.epoch + 1).padStart(String(epochs).length)}/${epochs}  loss ${l.loss.toFixed(4)}  acc ${pct(l.accuracy)}` +
    `  val loss ${l.valLoss?.toFixed(4) ?? '-'}  val acc ${pct(l.valAccuracy)}  connections ${l.connections.reduce((a, b) => a + b, 0)}` +
    (l.flops !== undefined ? `  ${formatFlops(l.flops)}` : '') +
    `  ${l.seconds.toFixed(2)} s (evolution ${(l.evolutionSeconds * 1000).toFixed(0)} ms)`
  );
}

/** Whether a progress bar can be drawn on `stream` (a terminal, and not a CI log). */
export function canDrawBar(stream: NodeJS.WritableStream & { isTTY?: boolean }): boolean {
  return Boolean(stream.isTTY) && process.env.CI !== 'true';
}

/** The verbosity `fit` uses on a terminal when given none: 1 (a bar) where one can be drawn, else 0. */
export function terminalDefaultVerbosity(stream: NodeJS.WritableStream & { isTTY?: boolean } = process.stderr): Verbosity {
  return canDrawBar(stream) ? 1 : 0;
}

/**
 * Callbacks that show training on `stream` (default stderr): at verbose 1 a bar per epoch where one can be
 * drawn, then the epoch's line; at verbose 2 (or without a terminal) only the line per epoch.
 */
export function terminalProgress(verbose: 1 | 2 = 1, stream: NodeJS.WriteStream = process.stderr): Callbacks {
  const bars = verbose === 1 && canDrawBar(stream);
  let bar: SingleBar | null = null;
  let epochs = 0;
  let batches = 0;
  let evolved: EvolutionReport[] = [];
  return {
    onTrainBegin(info) {
      // The run's planned length (a resumed run shows epoch 8/10, not 8/3); older callers give only `epochs`.
      epochs = info.totalEpochs ?? info.epochs;
      batches = info.batchesPerEpoch;
    },
    onEpochBegin(epoch) {
      evolved = [];
      if (!bars) return;
      bar = new SingleBar({
        stream,
        format: `epoch ${epoch + 1}/${epochs} [{bar}] {percentage}% | batch {value}/{total} | loss {loss} | acc {acc} | eta {eta}s`,
        hideCursor: true,
        clearOnComplete: true,
        barsize: 30,
        etaBuffer: 50,
      });
      bar.start(batches, 0, { loss: '-', acc: '-' });
    },
    onBatchEnd(l) {
      bar?.update(l.batch + 1, { loss: l.loss.toFixed(4), acc: `${(100 * l.accuracy).toFixed(1)}%` });
    },
    onEvolve(r) {
      evolved.push(r);
    },
    onEpochEnd(l) {
      bar?.stop();
      bar = null;
      stream.write(epochLine(l, epochs) + (evolved.length ? `  evolved ${evolved.length} layer(s), ${evolved.reduce((a, r) => a + r.grown, 0)} regrown` : '') + '\n');
    },
    onTrainEnd() {
      // A run stopped mid-epoch (an error is thrown past this, but early stopping ends normally) leaves no bar.
      bar?.stop();
      bar = null;
    },
  };
}
