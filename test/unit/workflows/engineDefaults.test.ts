/**
 * Engine defaults travel in the plan (issue 19 item 5): the compiler writes the current
 * `ENGINE_DEFAULTS` into every plan, the packed form keeps them, and a plan without them (every run
 * recorded before) runs with `RECORDED_RUN_DEFAULTS`, the values of that time.
 */
import { compile } from '../../../src/model/compiler/compiler';
import { ENGINE_DEFAULTS } from '../../../src/model/plan/engineDefaults';
import type { ExecutionPlan } from '../../../src/model/plan/plan';
import { packPlan, unpackPlan } from '../../../src/model/plan/planWire';
import { RECORDED_RUN_DEFAULTS, runDefaults } from '../../../src/workflows/run/replayRules';

const compiled = (): ExecutionPlan => {
  const result = compile({
    name: 'defaults',
    steps: [
      { id: 'n', action: 'input', params: { type: 'integer' } },
      { id: 'out', action: 'output', params: { value: '{{ steps.n.output.value }}' } },
    ],
  });
  if (!result.ok) throw new Error(JSON.stringify(result.issues));
  return result.plan;
};

test('the compiler writes the current engine defaults into the plan, and packing keeps them', () => {
  const plan = compiled();
  expect(plan.engineDefaults).toEqual(ENGINE_DEFAULTS);
  // A copy: a plan is plain JSON of its own.
  expect(plan.engineDefaults).not.toBe(ENGINE_DEFAULTS);
  expect(unpackPlan(packPlan(plan)).engineDefaults).toEqual(ENGINE_DEFAULTS);
  expect(runDefaults(unpackPlan(packPlan(plan)))).toEqual(ENGINE_DEFAULTS);
});

test("a run reads its plan's defaults, whatever the current ones are", () => {
  const plan = {
    ...compiled(),
    engineDefaults: { ...ENGINE_DEFAULTS, maxParallelism: 4, heartbeatTimeoutMs: 5_000 },
  };
  expect(runDefaults(plan)).toMatchObject({ maxParallelism: 4, heartbeatTimeoutMs: 5_000 });
});

test('a plan recorded before engine defaults existed runs with the values of that time', () => {
  const { engineDefaults: _, ...recorded } = compiled();
  expect(runDefaults(recorded)).toEqual(RECORDED_RUN_DEFAULTS);
  // The recorded values are a replay rule: these are the constants the workflow code held.
  expect(RECORDED_RUN_DEFAULTS).toEqual({
    maxParallelism: 32,
    continueAsNewAfterEvents: 8_000,
    continueAsNewAfterBytes: 8 * 1024 * 1024,
    mapContinueAsNewAfterEvents: 4_000,
    mapContinueAsNewAfterBytes: 4 * 1024 * 1024,
    heartbeatTimeoutMs: 15_000,
    startToCloseTimeoutMs: 60_000,
    mapConcurrency: 10,
  });
});
