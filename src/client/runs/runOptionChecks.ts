/**
 * The checks of a run's own options before anything starts: tags, priority, timeout, callbacks
 * and concurrency limit, each problem an issue with a path; and what a run's issues are about.
 */
import { msToNumber } from '@temporalio/common';
import { type ExecutionPlan, type PipelineIssue } from '../../model';
import { MAX_CALLBACK_ATTEMPTS } from '../../protocol';
import { concurrencyKeyIssues, concurrencyLimitIssues, onLimitIssues } from '../../model';
import type { StartRunOptions } from './runOptions';

const MAX_TAGS = 20;
const MAX_TAG_LENGTH = 128;

export function tagIssues(tags: readonly unknown[]): PipelineIssue[] {
  const issues: PipelineIssue[] = [];
  if (tags.length > MAX_TAGS) {
    issues.push({
      path: ['tags'],
      code: 'invalid_type',
      message: `At most ${MAX_TAGS} tags, got ${tags.length}.`,
    });
  }
  tags.forEach((tag, i) => {
    if (typeof tag !== 'string' || tag.length === 0 || tag.length > MAX_TAG_LENGTH) {
      issues.push({
        path: ['tags', i],
        code: 'invalid_type',
        message: `A tag must be a non-empty string of at most ${MAX_TAG_LENGTH} characters.`,
      });
    }
  });
  return issues;
}

function isHttpUrl(value: unknown): boolean {
  if (typeof value !== 'string') return false;
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
  } catch {
    return false;
  }
}

/** Problems with `callbacks`: each URL must be an absolute http(s) URL; `maxAttempts` 1–20. */
export function callbackIssues(callbacks: unknown): PipelineIssue[] {
  if (callbacks === undefined) return [];
  if (typeof callbacks !== 'object' || callbacks === null || Array.isArray(callbacks)) {
    return [
      {
        path: ['callbacks'],
        code: 'invalid_type',
        message: 'callbacks must be an object: { onComplete?, onFailure?, maxAttempts? }.',
      },
    ];
  }
  const issues: PipelineIssue[] = [];
  const given = callbacks as Record<string, unknown>;
  for (const key of Object.keys(given)) {
    if (key !== 'onComplete' && key !== 'onFailure' && key !== 'maxAttempts') {
      issues.push({
        path: ['callbacks', key],
        code: 'invalid_type',
        message: `Unknown callbacks option '${key}'; use onComplete, onFailure or maxAttempts.`,
      });
    }
  }
  for (const key of ['onComplete', 'onFailure'] as const) {
    const value = given[key];
    if (value !== undefined && !isHttpUrl(value)) {
      issues.push({
        path: ['callbacks', key],
        code: 'invalid_type',
        message: `callbacks.${key} must be an absolute http(s) URL, got ${JSON.stringify(value)}.`,
      });
    }
  }
  const attempts = given.maxAttempts;
  if (
    attempts !== undefined &&
    !(
      Number.isInteger(attempts) &&
      (attempts as number) >= 1 &&
      (attempts as number) <= MAX_CALLBACK_ATTEMPTS
    )
  ) {
    issues.push({
      path: ['callbacks', 'maxAttempts'],
      code: 'invalid_type',
      message: `callbacks.maxAttempts must be an integer 1–${MAX_CALLBACK_ATTEMPTS}, got ${JSON.stringify(attempts)}.`,
    });
  }
  return issues;
}

/** The longest run `timeout`: a year and a day (a run with no limit needs no timeout). */
export const MAX_RUN_TIMEOUT_MS = 366 * 86_400_000;

/** Problems with a run's own `timeout`: a positive duration of at most {@link MAX_RUN_TIMEOUT_MS}. */
export function runTimeoutIssues(timeout: unknown): PipelineIssue[] {
  if (timeout === undefined) return [];
  let ms: number | undefined;
  try {
    ms = typeof timeout === 'number' || typeof timeout === 'string' ? msToNumber(timeout) : undefined;
  } catch {
    ms = undefined;
  }
  if (ms !== undefined && Number.isFinite(ms) && ms > 0 && ms <= MAX_RUN_TIMEOUT_MS) return [];
  return [
    {
      path: ['timeout'],
      code: 'invalid_type',
      message: `timeout must be a positive duration of at most 366d (ms, or a string such as '10m'), got ${JSON.stringify(timeout)}.`,
    },
  ];
}

/** Problems with `priority`: `'high'`, `'normal'`, `'low'` or an integer 1–5. */
export function priorityIssues(priority: unknown): PipelineIssue[] {
  if (priority === undefined || priority === 'high' || priority === 'normal' || priority === 'low') return [];
  if (typeof priority === 'number' && Number.isInteger(priority) && priority >= 1 && priority <= 5) return [];
  return [
    {
      path: ['priority'],
      code: 'invalid_type',
      message: `Priority must be 'high', 'normal', 'low' or an integer 1–5, got ${JSON.stringify(priority)}.`,
    },
  ];
}

/** Problems with the concurrency options: each valid, and a key or `onLimit` only with a limit. */
export function concurrencyIssues(plan: ExecutionPlan, options: StartRunOptions): PipelineIssue[] {
  const issues = [
    ...concurrencyKeyIssues(options.concurrencyKey),
    ...concurrencyLimitIssues(options.maxConcurrentRuns, ['maxConcurrentRuns']),
    ...onLimitIssues(options.onLimit, ['onLimit']),
  ];
  const limited = options.maxConcurrentRuns !== undefined || plan.maxConcurrentRuns !== undefined;
  if (!limited && (options.concurrencyKey !== undefined || options.onLimit !== undefined)) {
    issues.push({
      path: [options.concurrencyKey !== undefined ? 'concurrencyKey' : 'onLimit'],
      code: 'invalid_type',
      message: `A concurrency key or onLimit needs a limit: pass maxConcurrentRuns, or declare max_concurrent_runs in pipeline '${plan.name}'.`,
    });
  }
  return issues;
}

/**
 * What a run's issues are about, for the error's first line: `inputs`, `params`, `params and
 * inputs`, else `run options` (tags, priority, timeout, callbacks, …). The definition itself was
 * valid by then.
 */
export function runIssuesSubject(issues: readonly PipelineIssue[]): string {
  const kinds = new Set(
    issues.map((i) => (i.path[0] === 'inputs' || i.path[0] === 'params' ? i.path[0] : 'other')),
  );
  if (kinds.has('other')) return 'run options';
  return kinds.size === 2 ? 'params and inputs' : (issues[0]?.path[0] as string);
}
