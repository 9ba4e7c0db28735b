/**
 * Finding tslab's display API when this process is a tslab notebook kernel executing a cell.
 *
 * tslab is found at run time among the modules its kernel has loaded, never imported by the library, so the
 * toolkit loads and works outside notebooks. The kernel's `tslab/dist/jupyter.js` has a live
 * `lastWriteDisplayData` while a cell runs; searching the module cache (instead of `require('tslab')`) finds
 * the kernel's own copy even when another tslab is installed nearer the toolkit.
 *
 * @packageDocumentation
 */
import * as path from 'node:path';

/** The part of tslab's `Display` the toolkit uses. */
export interface NotebookDisplay {
  html(s: string): void;
  text(s: string): void;
}

/** The part of tslab's public module the toolkit uses. */
export interface TslabApi {
  /** Appends output to the running cell. */
  readonly display: NotebookDisplay;
  /** A display entry that each call overwrites (for progress that updates in place). */
  newDisplay(): NotebookDisplay;
}

/** tslab's public API when running inside a tslab kernel's cell, else undefined. */
export function tslabApi(): TslabApi | undefined {
  const suffix = path.join('tslab', 'dist', 'jupyter.js');
  for (const [file, mod] of Object.entries(require.cache)) {
    if (!file.endsWith(suffix)) continue;
    const exported = mod?.exports as { lastWriteDisplayData?: unknown } | undefined;
    if (typeof exported?.lastWriteDisplayData !== 'function') continue;
    const pub = require(path.join(path.dirname(file), 'public.js')) as Partial<TslabApi>;
    if (pub.display && typeof pub.display.html === 'function' && typeof pub.newDisplay === 'function') return pub as TslabApi;
  }
  return undefined;
}

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}
