/** Writes the prebuilt workflow bundle the worker loads at start (`dist/workflow-bundle.js`). */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { bundleWorkflows } from '../src/worker';

void (async () => {
  const { code } = await bundleWorkflows();
  const out = path.join(__dirname, '..', 'dist', 'workflow-bundle.js');
  writeFileSync(out, code);
  process.stdout.write(`wrote ${out} (${(code.length / 1024).toFixed(0)} KiB)\n`);
})();
