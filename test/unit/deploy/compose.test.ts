/**
 * Deployment files (issue 7 item 5): `docker-compose.yml` is checked by a real Compose parser
 * (`docker-compose config`, Debian's docker-compose), and what it and the Dockerfile refer to
 * exists: scripts, entrypoints, search attributes. No container is run here.
 *
 * docker-compose is not a prerequisite of `npm test`: without it, the tests that need the parser
 * are skipped, and a line says so and why. `.ci/run` installs it and sets REQUIRE_DOCKER_COMPOSE=1,
 * under which they run (and fail without it) instead of being skipped.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { SEARCH_ATTRIBUTES } from '../../../src/protocol/searchAttributes';

const ROOT = path.join(__dirname, '..', '..', '..');
const read = (file: string) => readFileSync(path.join(ROOT, file), 'utf8');

/** Chosen at load time: tests needing `docker-compose` run when it is installed or required. */
const hasDockerCompose = !spawnSync('docker-compose', ['version', '--short']).error;
const composeRequired = process.env.REQUIRE_DOCKER_COMPOSE === '1';
const composeTest = hasDockerCompose || composeRequired ? test : test.skip;
if (!hasDockerCompose) {
  console.warn(
    composeRequired
      ? 'REQUIRE_DOCKER_COMPOSE=1 but docker-compose is not installed: the docker-compose.yml tests will fail.'
      : 'docker-compose is not installed: skipping the tests that validate docker-compose.yml with it ' +
          '(apt-get install docker-compose to run them; CI runs them).',
  );
}

interface Service {
  image?: string;
  build?: { context: string };
  command?: string[];
  entrypoint?: string[];
  environment?: Record<string, string>;
  depends_on?: Record<string, { condition: string }>;
  ports?: Array<{ published: number; target: number }>;
  /** Debian's docker-compose resolves a bind mount to `source:target:mode`. */
  volumes?: string[];
  deploy?: { replicas?: number };
}

/** `docker-compose config` on a file: its exit code, and the resolved configuration. */
function composeConfig(file: string, env: NodeJS.ProcessEnv = {}) {
  const result = spawnSync('docker-compose', ['-f', file, 'config'], {
    encoding: 'utf8',
    // Only PATH: the user's own variables must not leak into what is checked.
    env: { PATH: process.env.PATH, ...env },
  });
  if (result.error) {
    throw new Error(
      `docker-compose is needed for this test (apt-get install docker-compose): ${result.error.message}`,
    );
  }
  return {
    status: result.status,
    stderr: result.stderr,
    config: result.status === 0 ? (parse(result.stdout) as { services: Record<string, Service> }) : undefined,
  };
}

const resolved = () => {
  const { status, stderr, config } = composeConfig(path.join(ROOT, 'docker-compose.yml'));
  expect({ status, stderr: stderr.trim() }).toEqual({ status: 0, stderr: '' });
  return config!.services;
};

composeTest('docker-compose.yml is valid Compose, with the whole stack', () => {
  const services = resolved();
  expect(Object.keys(services).sort()).toEqual([
    'codec-server',
    'postgresql',
    'temporal',
    'temporal-schema',
    'temporal-setup',
    'temporal-ui',
    'worker',
  ]);
  // Official Temporal images; the schema is set up before the server starts, the namespace and
  // search attributes before workers start.
  expect(services.temporal!.image).toMatch(/^temporalio\/server:/);
  expect(services['temporal-ui']!.image).toMatch(/^temporalio\/ui:/);
  expect(services['temporal-schema']!.image).toMatch(/^temporalio\/admin-tools:/);
  expect(services.temporal!.depends_on).toEqual({
    'temporal-schema': { condition: 'service_completed_successfully' },
  });
  expect(services.worker!.depends_on).toEqual({
    'temporal-setup': { condition: 'service_completed_successfully' },
  });
  expect(services.temporal!.environment).toMatchObject({ DB: 'postgres12', POSTGRES_SEEDS: 'postgresql' });
});

composeTest('two worker replicas built from this repository, pointed at the server', () => {
  const { worker, 'codec-server': codec } = resolved();
  expect(worker!.deploy?.replicas).toBe(2);
  expect(worker!.build?.context).toBe(ROOT);
  expect(worker!.environment).toMatchObject({
    TEMPORAL_ADDRESS: 'temporal:7233',
    TEMPORAL_TASK_QUEUE: 'pipelines',
  });
  expect(codec!.image).toBe(worker!.image);
});

composeTest('the Web UI reaches the codec server, and the codec server allows the Web UI origin', () => {
  const { 'temporal-ui': ui, 'codec-server': codec } = resolved();
  const uiPort = ui!.ports!.find((p) => p.target === 8080)!.published;
  const codecPort = codec!.ports![0]!.published;
  expect(ui!.environment!.TEMPORAL_CODEC_ENDPOINT).toBe(`http://localhost:${codecPort}`);
  expect(codec!.environment!.CODEC_SERVER_PORT).toBe(String(codec!.ports![0]!.target));
  expect(codec!.environment!.CODEC_SERVER_ORIGINS).toBe(`http://localhost:${uiPort}`);
});

composeTest(
  'the codec server authenticates: token and JWKS from the environment, the UI forwards its access token',
  () => {
    const { status, config } = composeConfig(path.join(ROOT, 'docker-compose.yml'), {
      CODEC_AUTH_TOKEN: 'a-long-random-token-0123456789',
      CODEC_JWKS_URL: 'https://idp.example/.well-known/jwks.json',
      CODEC_JWT_ISSUER: 'https://idp.example/',
      TEMPORAL_AUTH_ENABLED: 'true',
      TEMPORAL_CODEC_PASS_ACCESS_TOKEN: 'true',
      TEMPORAL_CODEC_ENDPOINT: 'https://codec.example.com',
      CODEC_ALLOWED_HOSTS: 'codec.example.com',
      CODEC_SERVER_ORIGINS: 'https://temporal.example.com',
    });
    expect(status).toBe(0);
    const { 'codec-server': codec, 'temporal-ui': ui } = config!.services;
    expect(codec!.environment).toMatchObject({
      CODEC_SERVER_HOST: '0.0.0.0',
      CODEC_AUTH_TOKEN: 'a-long-random-token-0123456789',
      CODEC_JWKS_URL: 'https://idp.example/.well-known/jwks.json',
      CODEC_JWT_ISSUER: 'https://idp.example/',
    });
    expect(codec!.environment!.CODEC_ALLOWED_HOSTS!.split(',')).toEqual([
      'codec-server:8888',
      'codec.example.com',
    ]);
    expect(ui!.environment).toMatchObject({
      TEMPORAL_AUTH_ENABLED: 'true',
      TEMPORAL_CODEC_PASS_ACCESS_TOKEN: 'true',
    });
    // Unset, the token is empty: the codec server (on 0.0.0.0) then refuses to start rather than serve anyone.
    expect(resolved()['codec-server']!.environment!.CODEC_AUTH_TOKEN).toBe('');
  },
);

composeTest('settings come from the environment', () => {
  const { status, config } = composeConfig(path.join(ROOT, 'docker-compose.yml'), {
    TEMPORAL_VERSION: '1.30.0',
    POSTGRES_PASSWORD: 's3cret',
    OPENAI_API_KEY: 'sk-test',
  });
  expect(status).toBe(0);
  expect(config!.services.temporal!.image).toBe('temporalio/server:1.30.0');
  expect(config!.services.temporal!.environment!.POSTGRES_PWD).toBe('s3cret');
  expect(config!.services.postgresql!.environment!.POSTGRES_PASSWORD).toBe('s3cret');
  expect(config!.services.worker!.environment!.OPENAI_API_KEY).toBe('sk-test');
});

composeTest('the parser is real: a broken file is rejected', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'compose-'));
  try {
    const broken = read('docker-compose.yml').replace(
      '    deploy:\n      replicas: 2',
      '    deploy:\n      replicas: two',
    );
    expect(broken).not.toBe(read('docker-compose.yml'));
    writeFileSync(path.join(dir, 'docker-compose.yml'), broken);
    const { status, stderr } = composeConfig(path.join(dir, 'docker-compose.yml'));
    expect(status).not.toBe(0);
    expect(stderr).toMatch(/replicas/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** docker-compose.yml as written (no interpolation): for what needs no Compose parser. */
const written = () => (parse(read('docker-compose.yml')) as { services: Record<string, Service> }).services;

test('the setup scripts are valid shell and register every search attribute the engine writes', () => {
  const services = written();
  for (const name of ['temporal-schema', 'temporal-setup']) {
    const script = services[name]!.entrypoint!.at(-1)!.replace('/deploy/', 'deploy/temporal/');
    expect(existsSync(path.join(ROOT, script))).toBe(true);
    execFileSync('sh', ['-n', path.join(ROOT, script)]);
  }
  const setup = read('deploy/temporal/setup-namespace.sh');
  for (const attribute of Object.values(SEARCH_ATTRIBUTES)) {
    expect(setup).toContain(`${attribute.name}=${attribute.type}`);
  }
});

composeTest('the server reads the dynamic config in deploy/temporal, which turns fairness keys on', () => {
  const { temporal } = resolved();
  const mounts = (temporal!.volumes ?? []).map((v) => v.split(':'));
  const mount = mounts.find(([source]) => source === path.join(ROOT, 'deploy/temporal/dynamicconfig.yaml'));
  expect(mount?.[1]).toBe(`/etc/temporal/${temporal!.environment!.DYNAMIC_CONFIG_FILE_PATH}`);
  const dynamicConfig = parse(read('deploy/temporal/dynamicconfig.yaml')) as Record<string, unknown>;
  expect(dynamicConfig['matching.enableFairness']).toEqual([{ value: true }]);
});

test('the Dockerfile copies files that exist and runs entrypoints the build produces', () => {
  const dockerfile = read('Dockerfile');
  expect(dockerfile.match(/^FROM /gm)).toHaveLength(2);
  const sources = [...dockerfile.matchAll(/^COPY (?!--from)(.+) \S+$/gm)].flatMap((m) => m[1]!.split(' '));
  expect(sources.length).toBeGreaterThan(0);
  for (const source of sources) expect(existsSync(path.join(ROOT, source))).toBe(true);
  // dist/<x>.js comes from src/<x>.ts (tsconfig.build.json: rootDir src, outDir dist), and runs as a program.
  const entrypoints = [
    JSON.parse(dockerfile.match(/^CMD (.+)$/m)![1]!)[1] as string,
    written()['codec-server']!.command![1]!,
  ];
  expect(entrypoints).toEqual(['dist/worker.js', 'dist/codec/serve.js']);
  for (const entry of entrypoints) {
    const source = read(entry.replace(/^dist\//, 'src/').replace(/\.js$/, '.ts'));
    expect(source).toContain('if (require.main === module)');
  }
  expect(read('package.json')).toContain(
    '"build": "tsc -p tsconfig.build.json && tsx scripts/bundle-workflows.ts"',
  );
});
