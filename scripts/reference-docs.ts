/**
 * The definition reference, written from the compiler's own catalog so it cannot drift:
 * `docs/definition-reference.md` (every node kind: where it runs, params with types and
 * defaults, outputs, timeout and retry defaults) and the generated part of
 * `docs/expressions.md` (limits). `npm run docs` rewrites them; a unit test fails when the
 * committed files differ from what this writes.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import {
  ACTION_DEFAULT_TIMEOUT_MS,
  NODE_KINDS,
  USER_ACTION_SPEC,
  type KindSpec,
} from '../src/model/kinds/catalog';
import { BudgetConfig } from '../src/model/definition/definition';
import { EXPRESSION_LIMITS, FORBIDDEN_MEMBERS } from '../src/model/expressions/expressionRules';
import { MAX_DOCUMENT_DEPTH } from '../src/model/compiler/compiler';
import { DURATION_LIMITS, formatDurationLimit } from '../src/model/definition/duration';
import { MAX_RUN_VALUE_DEPTH, MAX_RUN_VALUE_NODES } from '../src/model/definition/valueShape';
import { VALUE_LIMITS } from '../src/model/expressions/values';
import { formatBytes, MAX_STEPS } from '../src/model/definition/limits';
import { CHARS_PER_OPERATION, EVALUATION_LIMITS } from '../src/model/expressions/evaluationMeter';
import { defaultRetryPolicy } from '../src/model/plan/planWire';
import { NODE_ERROR_CODES, NODE_ERRORS } from '../src/model/kinds/nodeErrors';

const DOCS = path.join(__dirname, '..', 'docs');

interface JsonSchema {
  type?: string | string[];
  enum?: unknown[];
  anyOf?: JsonSchema[];
  items?: JsonSchema;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  pattern?: string;
  additionalProperties?: JsonSchema | boolean;
  description?: string;
  $ref?: string;
}

/** A JSON Schema type in a few words: `string`, `"GET" \\| "POST"`, `object of string`, `number \\| duration`. */
function typeOf(schema: JsonSchema | undefined): string {
  if (!schema || Object.keys(schema).length === 0) return 'any';
  // The only recursive param schema: a wait_for_event step's payload schema.
  if (schema.$ref) return 'payload schema: `{ type, properties?, required?, items? }`';
  if (schema.enum) return schema.enum.map((v) => JSON.stringify(v)).join(' \\| ');
  if (schema.anyOf) return [...new Set(schema.anyOf.map(typeOf))].join(' \\| ');
  if (schema.pattern?.includes('ms|s|m|h|d')) return 'duration text (`"30s"`)';
  const type = Array.isArray(schema.type) ? schema.type.join(' \\| ') : schema.type;
  if (type === 'array') return `list of ${typeOf(schema.items)}`;
  if (type === 'object' && typeof schema.additionalProperties === 'object' && !schema.properties) {
    return `map of ${typeOf(schema.additionalProperties)}`;
  }
  return type ?? 'any';
}

const RUNS: Record<KindSpec['execution'], string> = {
  inline: 'inside the workflow (pure; no history events)',
  timer: 'as a durable workflow timer',
  event:
    'inside the workflow, as a durable wait for an event (a timer only when it has a timeout; no worker slot held)',
  activity: 'as an activity, retried per its policy',
  child:
    'as a child workflow (another run of `runPipeline`), after an engine activity resolves the saved version',
  map: 'as a child `runMap` workflow that runs each item as an activity (or a child run of a saved pipeline) and continues as new through long lists',
};

const ms = (n: number) => (n % 1000 === 0 ? `${n / 1000} s` : `${n} ms`);

/** A map step's params rendered once per item, not in the run's scope (see analyze.ts). */
const MAP_PER_ITEM = ['step', 'inputs', 'params'] as const;

function kindSection(name: string, spec: KindSpec): string {
  const schema = z.toJSONSchema(spec.params, {
    io: 'input',
    unrepresentable: 'any',
  }) as JsonSchema;
  const required = new Set(schema.required ?? []);
  const rows = Object.entries(schema.properties ?? {}).map(([param, p]) => {
    const fallback = spec.defaults[param];
    const roles = [
      (spec.templateParams === 'all' && !spec.expressionParams.includes(param)) ||
      (spec.templateParams !== 'all' && spec.templateParams.includes(param))
        ? 'template'
        : '',
      spec.expressionParams.includes(param) ? 'CEL' : '',
      name === 'map' && (MAP_PER_ITEM as readonly string[]).includes(param)
        ? `per item (with \`item\`, \`index\`)${param === 'step' ? ': its params' : ''}`
        : '',
    ].filter(Boolean);
    return `| \`${param}\` | ${typeOf(p)} | ${required.has(param) ? 'yes' : 'no'} | ${fallback === undefined ? '' : `\`${JSON.stringify(fallback)}\``} | ${roles.join(', ')} |`;
  });
  const outputs = spec.outputs === 'any' ? 'any value' : spec.outputs.map((o) => `\`${o}\``).join(', ');
  const lines = [
    `## \`${name}\``,
    '',
    spec.description,
    '',
    `- Runs: ${RUNS[spec.execution]}.`,
    `- Output: ${outputs}.`,
  ];
  if (spec.execution === 'activity') {
    lines.push(
      `- Timeout per attempt: ${ms(spec.defaultTimeoutMs ?? ACTION_DEFAULT_TIMEOUT_MS)} unless the step sets \`timeout\`.`,
    );
  }
  if (spec.failures !== undefined) {
    const codes = NODE_ERROR_CODES.filter((code) => spec.failures?.includes(code));
    const retried = (code: (typeof codes)[number]) => (NODE_ERRORS[code].retryable ? ' (retried)' : '');
    lines.push(`- Fails with: ${codes.map((code) => `\`${code}\`${retried(code)}`).join(', ')}.`);
  }
  lines.push('');
  if (rows.length > 0) {
    lines.push(
      '| param | type | required | default | rendered as |',
      '| --- | --- | --- | --- | --- |',
      ...rows,
      '',
    );
  } else if (name === 'action') {
    lines.push(
      "Params: whatever the action's own zod schema takes (`defineAction({ params })`); every value may be a template.",
      '',
    );
  }
  return lines.join('\n');
}

export function definitionReference(): string {
  const retry = defaultRetryPolicy();
  return [
    '# Definition reference',
    '',
    "<!-- Written by `npm run docs` (scripts/reference-docs.ts) from the compiler's catalog; do not edit by hand. -->",
    '',
    `A pipeline is \`{ name?, description?, params?, fail_fast?, budget?, steps }\` with at most ${MAX_STEPS.toLocaleString('en')} steps. Each step is`,
    '`{ id, action, params?, depends_on?, condition?, retry?, timeout?, allow_failure?, budget?, description? }`;',
    '`action` is one of the kinds below or the name of an action the workers register. Templates',
    '(`{{ steps.x.output.y }}`, `{{ params.p }}`, `{{ inputs.i }}`, `{{ secrets.NAME }}` in I/O steps) and',
    'CEL expressions are described in [expressions.md](expressions.md).',
    '',
    '## Retries (I/O steps)',
    '',
    '`retry: { max_attempts, initial_interval, backoff_multiplier, max_interval, non_retryable_errors }`.',
    `Defaults: ${retry.maximumAttempts} attempts, ${ms(retry.initialIntervalMs)} first interval, ×${retry.backoffCoefficient}, at most ${ms(retry.maximumIntervalMs)} (100 × the first interval).`,
    `Never retried whatever the step says: ${retry.nonRetryableErrorTypes.map((t) => `\`${t}\``).join(', ')}.`,
    '',
    "The error codes of I/O steps (`error.code` in a step's status), and whether a failure with one is retried:",
    '',
    '| code | retried | meaning |',
    '| --- | --- | --- |',
    ...NODE_ERROR_CODES.map(
      (code) =>
        `| \`${code}\` | ${NODE_ERRORS[code].retryable ? 'yes' : 'no'} | ${NODE_ERRORS[code].meaning} |`,
    ),
    '',
    '## Budgets (the pipeline, llm steps)',
    '',
    `\`budget: { ${Object.keys(BudgetConfig.shape).join(', ')} }\`, at least one of them: \`max_tokens\` a whole number of tokens`,
    "(prompt + completion, as providers report them) greater than 0, `max_cost` US dollars greater than 0 at the worker's",
    "prices. On the pipeline it is the run's budget (a run's own `budget` option replaces it field by field); on an",
    "`llm` step it is that step's own; on any other step it is an error. Not the llm param `max_tokens`, which caps one",
    'reply. Semantics: [flow-control.md](flow-control.md#token-and-cost-budgets).',
    '',
    '## Limits',
    '',
    'Durations are checked when the definition is compiled; a longer one is an issue naming the step and the field.',
    'Inputs and params are checked when a run starts (`PipelineValidationError`, the path of the value in each issue).',
    '',
    '| limit | value |',
    '| --- | --- |',
    `| \`delay\` \`duration\` | at most ${formatDurationLimit(DURATION_LIMITS.delay)} |`,
    `| \`wait_for_event\` \`timeout\` | at most ${formatDurationLimit(DURATION_LIMITS.eventTimeout)} |`,
    `| step \`timeout\` (also a map step's per-item \`timeout\`) | at most ${formatDurationLimit(DURATION_LIMITS.stepTimeout)} |`,
    `| \`retry.initial_interval\`, \`retry.max_interval\` | at most ${formatDurationLimit(DURATION_LIMITS.retryInterval)} (the default \`max_interval\` is capped there too) |`,
    `| \`api_call\` \`timeout\` (the HTTP request) | at most ${formatDurationLimit(DURATION_LIMITS.requestTimeout)} |`,
    `| nesting of a definition | ${MAX_DOCUMENT_DEPTH} levels; plain JSON only (no BigInt, function, symbol, Map, Set, Infinity, NaN) |`,
    `| nesting of one input or param value | ${MAX_RUN_VALUE_DEPTH} levels; plain JSON only |`,
    `| values in a run's inputs (and, separately, its params) | ${MAX_RUN_VALUE_NODES.toLocaleString('en')} (objects, arrays and scalars) |`,
    '',
    ...Object.entries(NODE_KINDS).map(([name, spec]) => kindSection(name, spec)),
    kindSection('action', USER_ACTION_SPEC).replace(
      '## `action`',
      "## Your own actions (`action: '<name>'`)",
    ),
  ].join('\n');
}

export function expressionLimits(): string {
  return [
    '| limit | value |',
    '| --- | --- |',
    `| source length | ${EXPRESSION_LIMITS.maxSourceLength} characters |`,
    `| syntax tree | ${EXPRESSION_LIMITS.maxAstNodes} nodes, ${EXPRESSION_LIMITS.maxDepth} levels deep |`,
    `| list / map literals | ${EXPRESSION_LIMITS.maxListElements} elements / ${EXPRESSION_LIMITS.maxMapEntries} entries |`,
    `| call arguments | ${EXPRESSION_LIMITS.maxCallArguments} |`,
    `| comprehension macros (\`all\`, \`exists\`, \`exists_one\`, \`map\`, \`filter\`) and \`cel.bind\` | ${EXPRESSION_LIMITS.maxMacros} per expression |`,
    `| member names refused | ${[...FORBIDDEN_MEMBERS].map((m) => `\`${m}\``).join(', ')} |`,
    `| a value read or built (data, results) | ${VALUE_LIMITS.maxDepth} levels deep, ${VALUE_LIMITS.maxNodes.toLocaleString('en')} elements |`,
    `| a value an expression builds or a template interpolates (strings by UTF-8 bytes, lists and maps by their members) | ${EVALUATION_LIMITS.maxValueBytes} bytes (${formatBytes(EVALUATION_LIMITS.maxValueBytes)}) |`,
    `| work of one evaluation (1 per CEL node evaluated, plus 1 per ${CHARS_PER_OPERATION} characters of a string and per element of a list it reads or builds; one step's templates share it) | ${EVALUATION_LIMITS.maxOperations} operations |`,
    `| one step's rendered templates together, data passed through included | ${EVALUATION_LIMITS.maxRenderedBytes} bytes (${formatBytes(EVALUATION_LIMITS.maxRenderedBytes)}) |`,
    `| inline work in one workflow task, every evaluation together (then the run goes on in the next task, after a 1 ms timer) | ${EVALUATION_LIMITS.operationsPerWorkflowTask} operations |`,
  ].join('\n');
}

const LIMITS_START = '<!-- limits: written by npm run docs -->';
const LIMITS_END = '<!-- /limits -->';

/** `docs/expressions.md` with its limits table brought up to date. */
export function expressionsDoc(current: string): string {
  const start = current.indexOf(LIMITS_START);
  const end = current.indexOf(LIMITS_END);
  if (start < 0 || end < start) throw new Error('docs/expressions.md lost its limits markers');
  return `${current.slice(0, start + LIMITS_START.length)}\n${expressionLimits()}\n${current.slice(end)}`;
}

if (require.main === module) {
  writeFileSync(path.join(DOCS, 'definition-reference.md'), `${definitionReference()}\n`);
  const expressions = path.join(DOCS, 'expressions.md');
  writeFileSync(expressions, expressionsDoc(readFileSync(expressions, 'utf8')));
  process.stdout.write('wrote docs/definition-reference.md and the limits in docs/expressions.md\n');
}
