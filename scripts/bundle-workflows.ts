/** Writes the prebuilt workflow bundles the worker loads at start (`dist/workflow-bundle*.js`). */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { bundleWorkflows } from '../src/worker';

void (async () => {
  // The second encodes failure text, for workers with payload encryption.
  for (const [file, encodeFailures] of [
    ['workflow-bundle.js', false],
    ['workflow-bundle-encoded-failures.js', true],
  ] as const) {
    const { code } = await bundleWorkflows({ encodeFailures });
    const out = path.join(__dirname, '..', 'dist', file);
    writeFileSync(out, code);
    process.stdout.write(`wrote ${out} (${(code.length / 1024).toFixed(0)} KiB)\n`);
  }
})();
