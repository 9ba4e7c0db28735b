/**
 * Global set-up of the test run: a private virtual X display for the headless-gl backend suites, started
 * once before the test workers (which inherit DISPLAY) and stopped after them. Nothing is started when
 * DISPLAY is already set or Xvfb is missing; the gpujs:headlessgl suites then say why they cannot run
 * (and fail with CI=true, where set-up installs Xvfb).
 */
import { startVirtualDisplay } from '../../toolkit/src/cli/display';

export default async function setup(): Promise<(() => void) | undefined> {
  const d = await startVirtualDisplay();
  if (d.display === null) {
    if (!process.env.DISPLAY) process.stderr.write(`test set-up: no virtual display for headless-gl: ${d.reason}\n`);
    return undefined;
  }
  const started = d as { stop(): void };
  return () => started.stop();
}
