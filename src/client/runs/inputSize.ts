/**
 * The size of a run start: the run's input is one Temporal payload, so one over the client's
 * `maxInputBytes` is refused before anything starts, with issues that name the largest parts.
 */
import type { Client } from '@temporalio/client';
import {
  formatBytes,
  MAX_CLAIM_CHECKED_INPUT_BYTES,
  MAX_INLINE_PAYLOAD_BYTES,
  type PipelineIssue,
} from '../../model';
import { hasClaimCheck } from '../../codec';
import type { RunPipelineInput } from '../../protocol';

const jsonBytes = (value: unknown): number => Buffer.byteLength(JSON.stringify(value) ?? '', 'utf8');

/**
 * Problems with the size of a run start: the run's input (plan, params, inputs) is one Temporal
 * payload, so past `maxBytes` each input or param that is itself too big gets an issue, or, when
 * none is, one issue names the largest parts.
 */
export function inputSizeIssues(input: RunPipelineInput, maxBytes: number): PipelineIssue[] {
  const total = jsonBytes(input);
  if (total <= maxBytes) return [];
  const limit = `the limit is ${formatBytes(maxBytes)} (${maxBytes} bytes)`;
  const parts = [
    ...Object.entries(input.inputs).map(([name, value]) => ({
      path: ['inputs', name],
      what: `Input '${name}'`,
      size: jsonBytes(value),
    })),
    ...Object.entries(input.params).map(([name, value]) => ({
      path: ['params', name],
      what: `Param '${name}'`,
      size: jsonBytes(value),
    })),
    { path: ['steps'], what: 'The pipeline plan', size: jsonBytes(input.plan) },
  ].sort((a, b) => b.size - a.size);
  const hint =
    'Pass a reference (a URL or object key) instead, or configure a claim check (docs/payloads.md).';
  const oversize = parts.filter((p) => p.size > maxBytes);
  if (oversize.length > 0) {
    return oversize.map((p) => ({
      path: p.path,
      code: 'too_large',
      message: `${p.what} is ${formatBytes(p.size)} (${p.size} bytes) as JSON; ${limit}. ${hint}`,
    }));
  }
  const largest = parts
    .slice(0, 3)
    .map((p) => `${p.what} ${formatBytes(p.size)}`)
    .join(', ');
  return [
    {
      path: ['inputs'],
      code: 'too_large',
      message: `The run's inputs, params and plan are ${formatBytes(total)} (${total} bytes) together; ${limit}. Largest: ${largest}. ${hint}`,
    },
  ];
}

/** The client's default `maxInputBytes`: Temporal's payload limit, or more with a claim check. */
export function defaultMaxInputBytes(client: Client): number {
  return hasClaimCheck(client.options.loadedDataConverter.payloadCodecs)
    ? MAX_CLAIM_CHECKED_INPUT_BYTES
    : MAX_INLINE_PAYLOAD_BYTES;
}
