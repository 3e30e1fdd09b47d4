/**
 * Turning Zod issues into pipeline issues, and checking written params against a schema while
 * tolerating templates: a value written as a template (`"{{ params.temperature }}"`) cannot be
 * checked before the run, so any schema issue located at or inside such a value is dropped.
 * The worker checks the rendered value again (activities parse their params).
 */
import { z } from 'zod';
import type { PipelineIssue, PipelineIssueCode } from '../definition/issues';
import { didYouMean } from '../util/suggest';
import { hasTemplate } from '../expressions/templates';

type Path = (string | number)[];

const toPath = (path: readonly PropertyKey[]): Path =>
  path.map((p) => (typeof p === 'number' ? p : String(p)));

/** The keys a schema accepts, when it is an object schema (for "did you mean" on unknown keys). */
export function schemaKeys(schema: z.ZodType): string[] {
  return schema instanceof z.ZodObject ? Object.keys(schema.shape) : [];
}

/** Maps Zod issues to pipeline issues under `prefix`; unknown keys get one issue each, with a suggestion. */
export function fromZodIssues(
  issues: readonly z.core.$ZodIssue[],
  prefix: Path,
  code: PipelineIssueCode,
  options: { stepId?: string; knownKeys?: (path: Path) => string[] } = {},
): PipelineIssue[] {
  const out: PipelineIssue[] = [];
  const stepId = options.stepId !== undefined ? { stepId: options.stepId } : {};
  for (const issue of issues) {
    const path = toPath(issue.path);
    if (issue.code === 'unrecognized_keys') {
      const known = options.knownKeys?.(path) ?? [];
      for (const key of issue.keys) {
        const expected = known.length ? ` Expected one of: ${known.join(', ')}.` : '';
        out.push({
          path: [...prefix, ...path, key],
          code,
          message: `Unknown key '${key}'.${didYouMean(key, known)}${expected}`,
          ...stepId,
        });
      }
      continue;
    }
    out.push({ path: [...prefix, ...path], code, message: issue.message, ...stepId });
  }
  return out;
}

/** Whether the value at `path` inside `root`, or any value on the way to it, is a template string. */
function underTemplate(root: unknown, path: Path): boolean {
  let current: unknown = root;
  for (const segment of path) {
    if (typeof current === 'string' && hasTemplate(current)) return true;
    if (typeof current !== 'object' || current === null) return false;
    current = (current as Record<string | number, unknown>)[segment];
  }
  return typeof current === 'string' && hasTemplate(current);
}

/**
 * Validates written params against a schema, ignoring issues at template-valued locations.
 * Issue paths are `[...prefix, ...pathInParams]`, code `invalid_params`.
 */
export function validateWrittenParams(
  schema: z.ZodType,
  params: Record<string, unknown>,
  prefix: Path,
  stepId: string,
): PipelineIssue[] {
  const result = schema.safeParse(params);
  if (result.success) return [];
  const relevant = result.error.issues.filter((issue) => !underTemplate(params, toPath(issue.path)));
  const topKeys = schemaKeys(schema);
  return fromZodIssues(relevant, prefix, 'invalid_params', {
    stepId,
    knownKeys: (path) => (path.length === 0 ? topKeys : []),
  });
}
