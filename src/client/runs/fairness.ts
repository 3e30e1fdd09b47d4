/**
 * Tenant fairness: a run's fairness key (e.g. a tenant id) and weight, checked before start and
 * turned into Temporal's task-queue `Priority` fields, which the run's activities inherit.
 */
import type { PipelineIssue } from '../../model';

/** Temporal's limit on a fairness key. */
export const MAX_FAIRNESS_KEY_BYTES = 64;

/** The tag a run with a fairness key carries, so runs can be listed and counted by key. */
export const fairnessTag = (key: string): string => `fairness:${key}`;

/** Problems with `fairnessKey` and `fairnessWeight` (structured, before anything starts). */
export function fairnessIssues(options: {
  fairnessKey?: unknown;
  fairnessWeight?: unknown;
}): PipelineIssue[] {
  const { fairnessKey: key, fairnessWeight: weight } = options;
  const issues: PipelineIssue[] = [];
  if (key !== undefined) {
    if (typeof key !== 'string' || key.length === 0) {
      issues.push({
        path: ['fairnessKey'],
        code: 'invalid_type',
        message: `fairnessKey must be a non-empty string, got ${JSON.stringify(key)}.`,
      });
    } else if (Buffer.byteLength(key, 'utf8') > MAX_FAIRNESS_KEY_BYTES) {
      issues.push({
        path: ['fairnessKey'],
        code: 'too_large',
        message: `fairnessKey is ${Buffer.byteLength(key, 'utf8')} bytes as UTF-8; Temporal allows at most ${MAX_FAIRNESS_KEY_BYTES}.`,
      });
    }
  }
  if (weight !== undefined) {
    if (typeof weight !== 'number' || !Number.isFinite(weight) || weight <= 0) {
      issues.push({
        path: ['fairnessWeight'],
        code: 'invalid_type',
        message: `fairnessWeight must be a positive finite number, got ${typeof weight === 'number' ? String(weight) : JSON.stringify(weight)}.`,
      });
    } else if (key === undefined) {
      issues.push({
        path: ['fairnessWeight'],
        code: 'invalid_type',
        message: 'fairnessWeight weighs a fairnessKey: give the run a fairnessKey too.',
      });
    }
  }
  return issues;
}
