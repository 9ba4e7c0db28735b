/**
 * A private virtual X display (Xvfb) for headless-gl, which needs a display even to render off-screen.
 * Used by `synapses-ts bench` (so that `--backend all` covers gpujs:headlessgl) and by the test run's
 * global set-up. Xvfb picks a free display number itself (`-displayfd`), so concurrent runs never race for one.
 *
 * @packageDocumentation
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** A running virtual display. */
export interface VirtualDisplay {
  /** The value DISPLAY was set to, e.g. `":3"`. */
  readonly display: string;
  /** Stops the X server and restores DISPLAY. */
  stop(): void;
}

/** The Xvfb executable on PATH, or null. */
export function findXvfb(): string | null {
  for (const dir of (process.env.PATH ?? '/usr/bin').split(path.delimiter)) {
    const file = path.join(dir, 'Xvfb');
    try {
      fs.accessSync(file, fs.constants.X_OK);
      return file;
    } catch {
      // not here
    }
  }
  return null;
}

/**
 * Starts Xvfb on a free display and sets `process.env.DISPLAY` (inherited by child processes started
 * afterwards), unless DISPLAY is already set or Xvfb is not installed (Debian `xvfb`).
 * @returns the display, or null when nothing was started (with the reason).
 */
export async function startVirtualDisplay(timeoutMs = 15000): Promise<VirtualDisplay | { display: null; reason: string }> {
  if (process.env.DISPLAY) return { display: null, reason: `DISPLAY is already set (${process.env.DISPLAY})` };
  const xvfb = findXvfb();
  if (!xvfb) return { display: null, reason: 'Xvfb is not installed (Debian package xvfb)' };
  const child: ChildProcess = spawn(xvfb, ['-displayfd', '3', '-screen', '0', '1280x1024x24', '-nolisten', 'tcp'], {
    stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const display = await new Promise<string | null>((resolve) => {
    let out = '';
    const timer = setTimeout(() => resolve(null), timeoutMs);
    (child.stdio[3] as NodeJS.ReadableStream).on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) {
        clearTimeout(timer);
        resolve(`:${out.trim()}`);
      }
    });
    child.on('exit', () => {
      clearTimeout(timer);
      resolve(null);
    });
  });
  if (display === null) {
    child.kill();
    return { display: null, reason: `Xvfb did not start: ${stderr.trim().split('\n').slice(-3).join(' | ') || 'no output'}` };
  }
  const kill = (): void => {
    if (child.exitCode === null) child.kill();
  };
  process.once('exit', kill);
  process.env.DISPLAY = display;
  return {
    display,
    stop: () => {
      process.removeListener('exit', kill);
      kill();
      if (process.env.DISPLAY === display) delete process.env.DISPLAY;
    },
  };
}
