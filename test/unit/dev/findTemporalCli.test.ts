import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { findTemporalCli } from '../../../src/dev/findTemporalCli';
import { startLocalServer, LocalServerError } from '../../../src/dev/localServer';

const dir = mkdtempSync(path.join(tmpdir(), 'tp-cli-'));
const fakeCli = path.join(dir, 'temporal');
writeFileSync(fakeCli, '#!/bin/sh\necho "not a server" >&2\nexit 3\n');
chmodSync(fakeCli, 0o755);

test('TEMPORAL_CLI_PATH wins over PATH', () => {
  expect(findTemporalCli({ TEMPORAL_CLI_PATH: fakeCli, PATH: '/nowhere' })).toEqual({
    path: fakeCli,
    source: 'TEMPORAL_CLI_PATH',
  });
});

test('a TEMPORAL_CLI_PATH that is not an executable is a clear error', () => {
  expect(() => findTemporalCli({ TEMPORAL_CLI_PATH: path.join(dir, 'missing') })).toThrow(
    /TEMPORAL_CLI_PATH .* not an executable/,
  );
});

test('`temporal` is found on PATH, and nothing is found on an empty PATH', () => {
  expect(findTemporalCli({ PATH: `/nowhere${path.delimiter}${dir}` })).toEqual({
    path: fakeCli,
    source: 'PATH',
  });
  expect(findTemporalCli({ PATH: '/nowhere' })).toBeUndefined();
});

test('a binary that exits instead of serving gives a LocalServerError with its stderr, not a hang', async () => {
  const err = await startLocalServer({
    env: { TEMPORAL_CLI_PATH: fakeCli },
    uiPort: false,
    startTimeoutMs: 20_000,
  }).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(LocalServerError);
  expect((err as Error).message).toMatch(/exited before serving: exit code 3; stderr: not a server/);
});
