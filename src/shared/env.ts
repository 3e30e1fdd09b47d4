/**
 * The environment as our config schemas read it: a variable set to the empty string counts as
 * unset, the usual convention of Docker Compose and Kubernetes files that pass
 * `FOO: ${FOO:-}` through when the operator left it out.
 */
export function setEnvValues(env: NodeJS.ProcessEnv): Record<string, string> {
  const values: Record<string, string> = {};
  for (const [name, value] of Object.entries(env))
    if (value !== undefined && value !== '') values[name] = value;
  return values;
}
