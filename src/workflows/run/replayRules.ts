/**
 * The replay-compatibility rules of the workflow code, in one place. A run in flight replays its
 * history on whatever worker picks it up, so the commands a worker issues for a recorded history
 * must be the ones recorded. Each rule says what it protects and names the recorded history in
 * test/fixtures/histories that exercises it; test/integration/replayRules.test.ts replays every
 * fixture and checks that each named one shows what its rule is about.
 *
 * `RECORDED_RUN_DEFAULTS` is itself a rule: the values a run whose plan (or map input) holds no
 * engine defaults was recorded with. Never change them; change `ENGINE_DEFAULTS` instead.
 */
import type { EngineDefaults } from '../../model';
import type { ExecutionPlan } from '../../model';

/**
 * The engine defaults of every run recorded before plans carried them (engineDefaults.ts), and the
 * fallbacks for plan nodes without a value the compiler now always resolves: the start-to-close
 * timeout of an activity step, the concurrency of a map step. Frozen: see REPLAY_RULES.
 */
export const RECORDED_RUN_DEFAULTS: Readonly<
  EngineDefaults & { startToCloseTimeoutMs: number; mapConcurrency: number }
> = {
  maxParallelism: 32,
  continueAsNewAfterEvents: 8_000,
  continueAsNewAfterBytes: 8 * 1024 * 1024,
  mapContinueAsNewAfterEvents: 4_000,
  mapContinueAsNewAfterBytes: 4 * 1024 * 1024,
  heartbeatTimeoutMs: 15_000,
  startToCloseTimeoutMs: 60_000,
  mapConcurrency: 10,
};

/** The engine defaults a run goes by: its plan's, or the recorded ones for a plan without them. */
export function runDefaults(plan: ExecutionPlan): EngineDefaults {
  return plan.engineDefaults ?? RECORDED_RUN_DEFAULTS;
}

/** Marks runs that continue as new when their history is long (runs recorded before never did). */
export const CONTINUE_AS_NEW_PATCH = 'continue-as-new-when-history-is-long';

export interface ReplayRule {
  /** A stable name (the test's checks are keyed by it). */
  id: string;
  /** What must hold. */
  rule: string;
  /** What breaks without it. */
  protects: string;
  /** Fixtures (test/fixtures/histories/<name>.json) whose history exercises the rule. */
  fixtures: string[];
}

export const REPLAY_RULES: readonly ReplayRule[] = [
  {
    id: 'engine-defaults-from-plan',
    rule: "Defaults that shape commands (parallelism, continue-as-new thresholds, heartbeat timeout) are read from the plan's `engineDefaults`, which the compiler writes; workflow code holds no such default of its own.",
    protects: 'Runs in flight when a default changes: they keep issuing the commands their own plan implies.',
    fixtures: ['engine-defaults-in-plan'],
  },
  {
    id: 'recorded-defaults-frozen',
    rule: 'A plan without `engineDefaults` (and a map input without thresholds) runs with RECORDED_RUN_DEFAULTS: 32 steps at once, continue as new at 8,000 events / 8 MiB (maps 4,000 / 4 MiB), 15 s heartbeat timeout, 60 s start-to-close for an activity node without `timeoutMs`, 10 items at once for a map node without `concurrency`.',
    protects:
      'Runs started before plans carried the defaults: their activities are scheduled with the same timeouts and their steps in the same order.',
    fixtures: ['linear-llm', 'api-call-retried', 'map-items'],
  },
  {
    id: 'continue-as-new-behind-patch',
    rule: `A run continues as new only past its threshold and only where patched('${CONTINUE_AS_NEW_PATCH}') holds, so a run shorter than the threshold records no marker.`,
    protects:
      'Runs recorded before runs continued as new, and the histories of short runs (no marker command).',
    fixtures: ['continued-as-new-first', 'continued-as-new-last', 'linear-llm'],
  },
  {
    id: 'pure-steps-issue-no-commands',
    rule: 'Inline steps (input, output, transform, condition, log) settle in the workflow and issue no command; within a pass, candidates are taken in plan order, so commands keep the order recorded histories show.',
    protects:
      'The order of the ScheduleActivityTask / StartTimer / StartChildWorkflow commands of every run.',
    fixtures: ['condition-branches', 'failing-run', 'run-with-callback'],
  },
  {
    id: 'optional-paths-only-when-used',
    rule: 'Features added later (budgets, concurrency slots, callbacks, resume) take their code paths only in runs whose input or plan asks for them; other runs issue the commands they always did.',
    protects: 'Runs recorded before each feature existed.',
    fixtures: ['linear-llm', 'run-with-callback'],
  },
  {
    id: 'messages-leave-no-commands',
    rule: 'Queries and signals (status, logs, stream reads, stream deltas, attempt events) change no command; a refused sendEvent update is refused in its validator, so it leaves no history.',
    protects: 'Histories holding signals and updates, replayed on a worker whose handlers changed.',
    fixtures: ['llm-retried-attempts', 'llm-stream', 'wait-for-event'],
  },
  {
    id: 'activity-and-child-identity',
    rule: "Activity types are the step's action, activity ids the step id (`<step>[<index>]` in a map); child workflow ids derive from the parent's id and the step id.",
    protects: 'Replay matches recorded commands by type and id: a rename fails every run in flight.',
    fixtures: ['linear-llm', 'map-run', 'map-items'],
  },
  {
    id: 'fixed-constants',
    rule: "Constants still in workflow code that decide commands change only behind patched(): the default retry policy filled in when a packed plan is unpacked, evaluation limits and the per-task work budget (1 ms timers), carry-over sizes, the limiter and registry workflows' continue-as-new and idle timers.",
    protects: 'Runs in flight and the long-lived limiter and registry workflows.',
    fixtures: ['registry-entity', 'map-items'],
  },
];
