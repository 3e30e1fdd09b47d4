/**
 * Activity-side parsing of a node's (rendered) params. The compiler checks params before a run
 * starts; this is the worker's own check of what actually arrived, after templates rendered.
 */
import type { z } from 'zod';
import type { NodeErrorCode } from '../../model';
import { NodeActivityError } from './nodeFailures';

/** `params.headers.x: expected string, received number; params.url: required`. */
export function formatZodIssues(issues: readonly z.core.$ZodIssue[], root = 'params'): string {
  return issues
    .map((issue) => {
      const path = [root, ...issue.path.map(String)].join('.');
      return `${path}: ${issue.message}`;
    })
    .join('; ');
}

/**
 * Parses `params` with `schema`.
 * @throws NodeActivityError with `code` (NodeConfigError by default, non-retryable) listing every issue.
 */
export function parseParams<S extends z.ZodType>(
  what: string,
  schema: S,
  params: unknown,
  code: NodeErrorCode = 'NodeConfigError',
): z.infer<S> {
  const result = schema.safeParse(params);
  if (!result.success) {
    throw new NodeActivityError(code, `${what}: invalid params: ${formatZodIssues(result.error.issues)}`, {
      cause: result.error,
    });
  }
  return result.data;
}
