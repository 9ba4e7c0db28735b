// Shared by the config test files: the message of the ConfigError that `f` throws (fails the test when `f`
// throws anything else, or nothing).
import { expect } from 'vitest';
import { ConfigError } from '../../toolkit/src/core/errors';

export const messageOf = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as Error).message;
  }
  throw new Error('expected a ConfigError');
};
