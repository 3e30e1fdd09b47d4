/**
 * Continue-as-new for long runs: the state a run hands to its continuation, and the continuation
 * taking it back. A run continues as new only when no step is in flight, so each step is either
 * settled (carried, compactly) or pending (runs in the continuation). Deterministic: plain data.
 */
import { MAX_INLINE_PAYLOAD_BYTES } from '../../model';
import type { ExecutionPlan } from '../../model';
import { utf8Length } from '../../protocol';
import type { CarriedStep, NodeSnapshot, RunCarryOver, RunPipelineInput } from '../../protocol';
import { isTerminal, type RunState } from './runState';

/** Log records and stream chunks carried: enough for readers a little behind to lose nothing. */
const CARRIED_LOG_RECORDS = 200;
const CARRIED_LOG_BYTES = 128 * 1024;
const CARRIED_STREAM_CHUNKS = 200;
const CARRIED_STREAM_BYTES = 128 * 1024;
/** Outputs nothing reads any more are carried (so `status` still shows them) up to this much. */
const SPARE_OUTPUT_BYTES = 256 * 1024;

const jsonBytes = (value: unknown): number => utf8Length(JSON.stringify(value) ?? '');

/**
 * Steps whose outputs the rest of the run reads: the dependencies and branch gates of every
 * step not settled yet, and the steps the result is made of (output steps; without them, leaves).
 */
export function outputsStillRead(plan: ExecutionPlan, state: RunState): Set<string> {
  const read = new Set<string>();
  for (const node of plan.nodes) {
    if (isTerminal(state.status(node.id))) continue;
    for (const dep of node.dependsOn) read.add(dep);
    for (const gate of node.gates) read.add(gate.nodeId);
  }
  const outputNodes = plan.nodes.filter((n) => n.kind === 'output');
  if (outputNodes.length > 0) for (const node of outputNodes) read.add(node.id);
  else {
    const hasDependents = new Set(plan.nodes.flatMap((n) => n.dependsOn));
    for (const node of plan.nodes) if (!hasDependents.has(node.id)) read.add(node.id);
  }
  return read;
}

/**
 * The continuation's input, or a reason it cannot be made: the whole input must fit in one
 * Temporal payload, and the outputs still read are never left out.
 */
export function continuationInput(
  input: RunPipelineInput,
  plan: ExecutionPlan,
  state: RunState,
  failures: readonly string[],
): { input: RunPipelineInput } | { tooLarge: number } {
  const snapshot = state.snapshot;
  const steps: Record<string, CarriedStep> = {};
  const outputs: Record<string, unknown> = {};
  const read = outputsStillRead(plan, state);
  const spare: string[] = [];
  for (const node of plan.nodes) {
    const step = snapshot.nodes[node.id]!;
    if (!isTerminal(step.status)) continue;
    steps[node.id] = carriedStep(step);
    if (step.status !== 'completed' || step.outputDropped) continue;
    if (read.has(node.id)) outputs[node.id] = step.output ?? null;
    else spare.push(node.id);
  }
  const logs = snapshot.logs;
  let firstLog = logs.length;
  let logBytes = 0;
  while (firstLog > 0 && logs.length - firstLog < CARRIED_LOG_RECORDS) {
    logBytes += utf8Length(logs[firstLog - 1]!.message) + 200;
    if (logBytes > CARRIED_LOG_BYTES) break;
    firstLog--;
  }
  const carried: RunCarryOver = {
    continuations: (snapshot.continuations ?? 0) + 1,
    startedAt: snapshot.startedAt,
    steps,
    outputs,
    failures: [...failures],
    logs: {
      records: logs.slice(firstLog),
      dropped: snapshot.droppedLogs + firstLog,
      lastSeq: state.lastLogSeq,
    },
    stream: state.stream.tail(CARRIED_STREAM_CHUNKS, CARRIED_STREAM_BYTES),
    usage: snapshot.usage,
    metrics: snapshot.metrics,
    ...(snapshot.retryOf !== undefined && { retryOf: snapshot.retryOf }),
  };
  const next: RunPipelineInput = { ...input, carried };
  delete next.resume; // applied by the first run: its reused steps are among the carried ones
  const size = jsonBytes(next);
  if (size > MAX_INLINE_PAYLOAD_BYTES) return { tooLarge: size };
  // Outputs nothing reads any more, while they fit: `status` keeps showing them.
  let room = Math.min(SPARE_OUTPUT_BYTES, MAX_INLINE_PAYLOAD_BYTES - size);
  for (const id of spare) {
    const bytes = jsonBytes(snapshot.nodes[id]!.output ?? null) + id.length + 4;
    if (bytes > room) continue;
    outputs[id] = snapshot.nodes[id]!.output ?? null;
    room -= bytes;
  }
  return { input: next };
}

function carriedStep(step: NodeSnapshot): CarriedStep {
  const startedAtMs = step.startedAt !== undefined ? Date.parse(step.startedAt) : 0;
  const completedAtMs = step.completedAt !== undefined ? Date.parse(step.completedAt) : startedAtMs;
  const detail: NonNullable<CarriedStep[4]> = {};
  if (step.error) detail.error = step.error;
  if (step.skipReason !== undefined) detail.skipReason = step.skipReason;
  if (step.usage) detail.usage = step.usage;
  if (step.reused) detail.reused = true;
  if (step.child) detail.child = step.child;
  if (step.map) detail.map = step.map;
  const carried: CarriedStep = [step.status as CarriedStep[0], step.attempts, startedAtMs, completedAtMs];
  if (Object.keys(detail).length > 0) carried.push(detail);
  return carried;
}

/**
 * A continuation takes back what its run carried: settled steps (with the outputs carried),
 * the log's and the stream's newest entries and counters, usage, metrics. Returns the steps that
 * failed for good, in the order they failed.
 */
export function restoreCarryOver(state: RunState, carried: RunCarryOver): string[] {
  const snapshot = state.snapshot;
  snapshot.startedAt = carried.startedAt;
  snapshot.continuations = carried.continuations;
  if (carried.retryOf !== undefined) snapshot.retryOf = carried.retryOf;
  state.restoreUsage(carried.usage);
  Object.assign(snapshot.metrics, carried.metrics);
  for (const [id, [status, attempts, startedAtMs, completedAtMs, detail]] of Object.entries(carried.steps)) {
    const step: Omit<NodeSnapshot, 'kind'> = { status, attempts, completedAt: iso(completedAtMs) };
    if (startedAtMs > 0) {
      step.startedAt = iso(startedAtMs);
      step.durationMs = completedAtMs - startedAtMs;
    }
    if (detail) Object.assign(step, detail);
    if (status === 'completed') {
      if (Object.hasOwn(carried.outputs, id)) step.output = carried.outputs[id];
      else step.outputDropped = true;
    }
    state.restoreStep(id, step);
  }
  state.restoreLog(carried.logs.records, carried.logs.dropped, carried.logs.lastSeq);
  state.stream.restore(carried.stream.chunks, carried.stream.lastSeq);
  return [...carried.failures];
}

const iso = (ms: number): string => new Date(ms).toISOString();
