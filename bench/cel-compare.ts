/**
 * The two CEL libraries side by side: time to parse + evaluate, time to evaluate a parsed
 * program, and what each does with hostile expressions; plus our own wrapper
 * (`src/model/expressions/expressions.ts`: cached checks, JSON ⇄ CEL conversion).
 *
 *   npx tsx bench/cel-compare.ts
 *
 * Bundle size is measured elsewhere. Numbers vary by machine; compare the columns, not runs.
 */
import { Environment, parse as marcParse } from '@marcbachmann/cel-js';
import { celEnv, isCelError, parse as bufParse, plan as bufPlan, run as bufRun } from '@bufbuild/cel';
import { checkExpression, evaluateExpression } from '../src/model/expressions/expressions';

const SOURCE = "steps.a.output.status == 'healthy' && params.replicas > 2";

const json = {
  steps: { a: { status: 'completed', output: { status: 'healthy' }, error: null, attempts: 1 } },
  params: { replicas: 3 },
  inputs: {},
};
const marcContext = {
  steps: { a: { status: 'completed', output: { status: 'healthy' }, error: null, attempts: 1n } },
  params: { replicas: 3n },
};
/** @bufbuild/cel reads maps from `Map`s, not plain objects. */
const toMap = (value: unknown): unknown => {
  if (Array.isArray(value)) return value.map(toMap);
  if (typeof value === 'object' && value !== null) {
    return new Map(Object.entries(value).map(([k, v]) => [k, toMap(v)]));
  }
  return value;
};
const bufContext = toMap(marcContext) as Map<string, unknown>;
const bufBindings = Object.fromEntries(bufContext) as Record<string, never>;

function time(fn: () => unknown, minMs = 300): { perCallUs: number; calls: number } {
  for (let i = 0; i < 200; i++) fn(); // warm up
  let calls = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < minMs) {
    for (let i = 0; i < 100; i++) fn();
    calls += 100;
    elapsed = performance.now() - start;
  }
  return { perCallUs: (elapsed * 1000) / calls, calls };
}

const fmt = (us: number) => (us < 10 ? us.toFixed(2) : us < 100 ? us.toFixed(1) : us.toFixed(0)) + ' µs';

// Sanity: all agree.
const marcEnv = new Environment({ unlistedVariablesAreDyn: true });
const agree = [marcParse(SOURCE)(marcContext), bufRun(SOURCE, bufBindings), evaluateExpression(SOURCE, json)];
if (!agree.every((v) => v === true)) throw new Error(`libraries disagree: ${agree.map(String).join(', ')}`);

// Each parse+eval iteration uses a distinct source so no library can serve it from a cache.
let n = 0;
const fresh = () => `${SOURCE} && ${n++ % 1_000_000} >= 0`;

const marcProgram = marcParse(SOURCE);
const bufProgram = bufPlan(celEnv(), bufParse(SOURCE));
const rows: [string, string, string, string][] = [
  [
    'parse + evaluate (new source each time)',
    fmt(time(() => marcEnv.parse(fresh())(marcContext)).perCallUs),
    fmt(time(() => bufRun(fresh(), bufBindings)).perCallUs),
    '— (wrapper always caches)',
  ],
  [
    'evaluate a parsed program',
    fmt(time(() => marcProgram(marcContext)).perCallUs),
    fmt(time(() => bufProgram(bufBindings)).perCallUs),
    fmt(time(() => evaluateExpression(SOURCE, { ...json })).perCallUs) + ' (incl. JSON→CEL of scope)',
  ],
  [
    'evaluate, same scope object (memoised conversion)',
    '—',
    '—',
    fmt(time(() => evaluateExpression(SOURCE, json)).perCallUs),
  ],
];

console.log(`\nExpression: ${SOURCE}\n`);
console.table(
  rows.map(([what, marc, buf, ours]) => ({
    measure: what,
    '@marcbachmann/cel-js 8.0': marc,
    '@bufbuild/cel 0.6': buf,
    'ours (expressions.ts)': ours,
  })),
);

// Hostile and expensive expressions.
const list1000 = Array.from({ length: 1000 }, (_, i) => i);
const hostile: { name: string; source: string; ctx?: Record<string, unknown> }[] = [
  { name: 'steps.__proto__', source: 'steps.__proto__' },
  { name: "''.constructor", source: "''.constructor" },
  { name: "steps.a['constructor']", source: "steps.a['constructor']" },
  { name: 'unknown function', source: 'exec("rm -rf /")' },
  { name: 'deep nesting (200 parens)', source: '('.repeat(200) + '1' + ')'.repeat(200) },
  { name: 'long chain (3,000 × "+ 1")', source: '1' + ' + 1'.repeat(3000) },
  { name: 'ReDoS: matches, 24 chars', source: `'${'a'.repeat(24)}!'.matches('^(a+)+$')` },
  {
    name: 'nested comprehension 1000×1000',
    source: 'steps.a.output.xs.map(x, steps.a.output.xs.filter(y, y > x).size())',
    ctx: { steps: { a: { status: 'completed', output: { xs: list1000 } } }, params: {}, inputs: {} },
  },
];

type Outcome = { result: string; ms: number };
function attempt(fn: () => unknown): Outcome {
  const start = performance.now();
  let result: string;
  try {
    const value = fn();
    if (isCelError(value)) result = `error value: ${value.message.split('\n')[0]}`;
    else result = `value: ${describe(value)}`;
  } catch (error) {
    result = `throws: ${String((error as Error).message).split('\n')[0]}`;
  }
  return { result: result.slice(0, 70), ms: performance.now() - start };
}
function describe(value: unknown): string {
  if (Array.isArray(value)) return `list(${value.length})`;
  if (value instanceof Object && typeof (value as { size?: unknown }).size === 'number')
    return `map/list(${(value as { size: number }).size})`;
  return typeof value === 'bigint' ? `${value}n` : (JSON.stringify(value) ?? String(value));
}

const hostileRows = hostile.map(({ name, source, ctx }) => {
  const jsonCtx = ctx ?? json;
  const celCtx = { ...jsonCtx, steps: { a: { output: { xs: list1000.map(BigInt) } } } };
  const marc = attempt(() => marcEnv.evaluate(source, celCtx));
  const buf = attempt(() => bufRun(source, Object.fromEntries(toMap(celCtx) as Map<string, never>)));
  const check = attempt(() => {
    const c = checkExpression(source);
    return c.ok ? 'accepted' : `rejected (${c.issues[0]!.code}): ${c.issues[0]!.message}`;
  });
  return {
    case: name,
    marcbachmann: `${marc.result} [${marc.ms.toFixed(1)} ms]`,
    bufbuild: `${buf.result} [${buf.ms.toFixed(1)} ms]`,
    'ours: checkExpression': `${check.result.replace(/^value: "?|"$/g, '')} [${check.ms.toFixed(2)} ms]`,
  };
});
console.log(
  '\nHostile / expensive expressions (what each library does when simply evaluated; what our check says):\n',
);
for (const row of hostileRows) {
  console.log(`• ${row.case}`);
  console.log(`    @marcbachmann/cel-js: ${row.marcbachmann}`);
  console.log(`    @bufbuild/cel:        ${row.bufbuild}`);
  console.log(`    ours (compile time):  ${row['ours: checkExpression']}`);
}
