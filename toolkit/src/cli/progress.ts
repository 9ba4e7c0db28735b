/**
 * The terminal progress display of training: a cli-progress bar per epoch on a terminal, one plain line
 * per epoch otherwise (logs, CI). Writes to stderr so stdout stays machine-readable.
 *
 * @packageDocumentation
 */
import { SingleBar } from 'cli-progress';
import type { EvolutionReport } from '../evolution/types';
import type { Callbacks, EpochLogs } from '../train/history';

function pct(x: number | undefined): string {
  return x === undefined ? '  -   ' : `${(100 * x).toFixed(2)}%`;
}

/** Formats one epoch's logs as a line. */
export function epochLine(l: EpochLogs, epochs: number): string {
  return (
    `epoch ${String(l.epoch + 1).padStart(String(epochs).length)}/${epochs}  loss ${l.loss.toFixed(4)}  acc ${pct(l.accuracy)}` +
    `  val loss ${l.valLoss?.toFixed(4) ?? '-'}  val acc ${pct(l.valAccuracy)}  connections ${l.connections.reduce((a, b) => a + b, 0)}` +
    `  ${l.seconds.toFixed(2)} s (evolution ${(l.evolutionSeconds * 1000).toFixed(0)} ms)`
  );
}

/** Callbacks that draw the progress display on `stream` (default stderr). */
export function progressCallbacks(stream: NodeJS.WriteStream = process.stderr): Callbacks {
  const tty = Boolean(stream.isTTY) && process.env.CI !== 'true';
  let bar: SingleBar | null = null;
  let epochs = 0;
  let batches = 0;
  let evolved: EvolutionReport[] = [];
  return {
    onTrainBegin(info) {
      epochs = info.epochs;
      batches = info.batchesPerEpoch;
    },
    onEpochBegin(epoch) {
      evolved = [];
      if (!tty) return;
      bar = new SingleBar(
        {
          stream,
          format: `epoch ${epoch + 1}/${epochs} [{bar}] {percentage}% | batch {value}/{total} | loss {loss} | acc {acc} | eta {eta}s`,
          hideCursor: true,
          clearOnComplete: true,
          barsize: 30,
          etaBuffer: 50,
        },
      );
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
  };
}
