/**
 * Where `{{ secrets.NAME }}` comes from: an explicit allow-list, never the worker's whole
 * environment. A name resolves from the worker's `secrets` option (a record, or a resolver that
 * may be async, so Vault or a cloud secret manager can back it), else from the environment
 * variable `PIPELINE_SECRET_<NAME>` — no other variable is ever read, so the engine's own
 * configuration (`PIPELINE_ENCRYPTION_KEYS`, `PIPELINE_CALLBACK_SECRET`, `OPENAI_API_KEY`,
 * `TEMPORAL_*`, …) stays out of a definition's reach. Resolution happens per attempt, in the
 * activity, after the workflow rendered the params (see `resolveSecrets` in the pipeline model).
 */
import { resolveSecrets } from '../../model';
import { NodeActivityError } from '../nodes/nodeFailures';

/** The prefix of the environment variables that hold secrets a definition may name. */
export const SECRET_ENV_PREFIX = 'PIPELINE_SECRET_';

/** What `{{ secrets.NAME }}` may name (the template parser's own rule, enforced here again). */
const SECRET_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * A resolver: the secret's value, or `undefined` when the worker does not have it.
 * May be async (a secret manager's client).
 */
export type SecretResolver = (name: string) => string | undefined | Promise<string | undefined>;

/** The worker's `secrets` option: values by name, or a resolver. */
export type SecretsOption = Readonly<Record<string, string>> | SecretResolver;

/** Resolves one secret name to its value; `undefined` when it is not on the allow-list. */
export type SecretLookup = (name: string) => Promise<string | undefined>;

/**
 * The lookup for a worker: `option` first, then `PIPELINE_SECRET_<NAME>` in `env`.
 * A record is read by own keys only (`constructor`, `__proto__` are never inherited values).
 * @example createSecretLookup({ STRIPE_KEY: process.env.STRIPE_KEY! }, process.env)
 */
export function createSecretLookup(option: SecretsOption | undefined, env: NodeJS.ProcessEnv): SecretLookup {
  const fromOption: SecretResolver =
    option === undefined
      ? () => undefined
      : typeof option === 'function'
        ? option
        : (name) => (Object.hasOwn(option, name) ? option[name] : undefined);
  return async (name) => {
    // The lookup is the allow-list's gate: a name of any other shape reads nothing.
    if (!SECRET_NAME.test(name)) return undefined;
    const value = await fromOption(name);
    if (typeof value === 'string') return value;
    const key = SECRET_ENV_PREFIX + name;
    return Object.hasOwn(env, key) ? env[key] : undefined;
  };
}

/** Params with every secret resolved, and the values used (by name) for redaction. */
export interface ResolvedParams {
  params: Record<string, unknown>;
  used: Map<string, string>;
}

/**
 * Resolves every `{{ secrets.NAME }}` in `params` (rendered by the workflow) through `lookup`.
 * Every name is looked up once, even when referenced many times.
 * @throws NodeActivityError `SecretNotFound` (never retried) naming the first unknown secret, never a value.
 */
export async function resolveParamSecrets(
  params: Record<string, unknown>,
  lookup: SecretLookup,
): Promise<ResolvedParams> {
  // The pipeline model's pass is synchronous: collect the names first, resolve them, then substitute.
  const names: string[] = [];
  resolveSecrets(params, (name) => {
    if (!names.includes(name)) names.push(name);
    return '';
  });
  const used = new Map<string, string>();
  for (const name of names) {
    let value: string | undefined;
    try {
      value = await lookup(name);
    } catch (err) {
      // A resolver's own message may quote what it fetched: keep only the name.
      throw new NodeActivityError(
        'SecretNotFound',
        `Secret "${name}" could not be resolved: the worker's secret resolver threw (${errorName(err)})`,
      );
    }
    if (typeof value !== 'string') {
      throw new NodeActivityError(
        'SecretNotFound',
        `Secret "${name}" is not available on this worker: give it in the worker's \`secrets\` option or as the environment variable ${SECRET_ENV_PREFIX}${name}`,
      );
    }
    used.set(name, value);
  }
  // Always a second pass: it also turns the workflow's escapes of `{{` in data back into `{{`.
  return { params: resolveSecrets(params, (name) => used.get(name)), used };
}

function errorName(err: unknown): string {
  return typeof err === 'object' && err !== null && typeof (err as Error).name === 'string'
    ? (err as Error).name
    : typeof err;
}
