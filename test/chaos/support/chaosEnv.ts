/**
 * What every chaos test needs besides its own Temporal server: a scratch directory (for the
 * server's SQLite file) and the workflow bundle written to a file, so worker processes start
 * without bundling.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bundleWorkflows } from '../../../src/worker';

export interface ChaosScratch {
  /** A fresh temporary directory. */
  dir: string;
  /** The workflow bundle, for `WORKFLOW_BUNDLE_PATH`. */
  bundlePath: string;
  /** Deletes the directory. */
  remove(): void;
}

/** Makes a scratch directory and bundles the workflow code into it (a few seconds). */
export async function prepareChaosScratch(): Promise<ChaosScratch> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pipelines-chaos-'));
  const bundlePath = path.join(dir, 'workflow-bundle.js');
  writeFileSync(bundlePath, (await bundleWorkflows()).code);
  return { dir, bundlePath, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Prints a block of figures so the chaos run's numbers show in the test output. */
export function report(title: string, figures: Record<string, unknown>): void {
  const lines = Object.entries(figures).map(
    ([k, v]) => `  ${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`,
  );
  console.log(`${title}\n${lines.join('\n')}`);
}
