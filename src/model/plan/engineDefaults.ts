/**
 * The engine's defaults that decide which commands a run issues (how many steps run at once, when
 * the run and its map workflows continue as new, the activities' heartbeat timeout). The compiler
 * writes them into every plan, so a run reads them from its own input: changing a value here
 * changes runs started afterwards, never the replay of a run in flight. Plans compiled before
 * this field existed hold none; the workflow then uses the values of that time
 * (`RECORDED_RUN_DEFAULTS` in src/workflows/run/replayRules.ts).
 */

/** Engine defaults as a plan carries them (the compiler writes `ENGINE_DEFAULTS`). */
export interface EngineDefaults {
  /** At most this many steps run at once when the run's start sets no `maxParallelism`. */
  maxParallelism: number;
  /** The run continues as new past this many history events unless its start sets a threshold. */
  continueAsNewAfterEvents: number;
  /** …or past this many bytes of history. */
  continueAsNewAfterBytes: number;
  /** A map workflow continues as new past this many events unless the run's start set a threshold. */
  mapContinueAsNewAfterEvents: number;
  /** …or past this many bytes of its history. */
  mapContinueAsNewAfterBytes: number;
  /** How long the server waits for a node activity's heartbeat (sent about once a second), ms. */
  heartbeatTimeoutMs: number;
}

/** The defaults the compiler writes into plans now. Free to change: only new plans read them. */
export const ENGINE_DEFAULTS: Readonly<EngineDefaults> = {
  maxParallelism: 32,
  // Temporal warns at 10,240 events and 10 MiB.
  continueAsNewAfterEvents: 8_000,
  continueAsNewAfterBytes: 8 * 1024 * 1024,
  // Map items cost few events each, so a map workflow reaches its threshold often.
  mapContinueAsNewAfterEvents: 4_000,
  mapContinueAsNewAfterBytes: 4 * 1024 * 1024,
  heartbeatTimeoutMs: 15_000,
};
