/**
 * What the Temporal Web UI shows of the engine (issue 18 item 8): links to the runs list (pipeline
 * runs only, not the registry's entity workflows) and to one run, the version a run's summary
 * shows, and the markdown of the "User Metadata" a run and a registry entity carry from their start.
 */
import type { RunPipelineInput } from '../protocol';

/** The list query that shows pipeline runs only (registry entities and limiters are other types). */
export const RUNS_QUERY = 'WorkflowType = "runPipeline"';

/** Each of the inputs and the params is shown up to this many characters of JSON in a run's details. */
export const MAX_DETAILS_VALUE_CHARS = 2_000;

const base = (uiUrl: string) => uiUrl.replace(/\/+$/, '');

/** The Web UI's workflows list filtered to pipeline runs (optionally of one pipeline). */
export function runsListUrl(uiUrl: string, namespace: string, pipelineName?: string): string {
  const query =
    pipelineName === undefined
      ? RUNS_QUERY
      : `${RUNS_QUERY} AND PipelineName = ${JSON.stringify(pipelineName)}`;
  return `${base(uiUrl)}/namespaces/${encodeURIComponent(namespace)}/workflows?query=${encodeURIComponent(query)}`;
}

/** One run's page in the Web UI. */
export function runUrl(uiUrl: string, namespace: string, taskId: string): string {
  return `${base(uiUrl)}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(taskId)}`;
}

/**
 * The version a run's summary shows: a saved pipeline's version number, or `unsaved · <hash>` (the
 * first 12 hex digits of the definition's hash) for a document run without saving it.
 */
export function versionLabel(pipelineVersion: string | undefined, definitionHash: string): string {
  return pipelineVersion ?? `unsaved · ${definitionHash.slice(0, 12)}`;
}

/** Untrusted text (a pipeline name) as inline code on one line: no backtick in it can close the span. */
function inlineCode(text: string): string {
  const flat = text.replace(/\s+/g, ' ');
  const longest = Math.max(0, ...[...flat.matchAll(/`+/g)].map((m) => m[0].length));
  const ticks = '`'.repeat(longest + 1);
  return `${ticks} ${flat} ${ticks}`;
}

/** A value as an indented JSON block, cut at `MAX_DETAILS_VALUE_CHARS` (the Input tab has it whole). */
function jsonBlock(value: unknown): string {
  const text = JSON.stringify(value, null, 2) ?? 'null';
  const shown =
    text.length <= MAX_DETAILS_VALUE_CHARS
      ? text
      : `${text.slice(0, MAX_DETAILS_VALUE_CHARS)}\n… ${text.length - MAX_DETAILS_VALUE_CHARS} more characters (whole in Input)`;
  // A fence longer than any backtick run inside the value, so a value cannot close it.
  const longest = Math.max(2, ...[...shown.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = '`'.repeat(longest + 1);
  return `${fence}json\n${shown}\n${fence}`;
}

/**
 * A run's static details (markdown, shown at the top of its page under "User Metadata"): the
 * user's inputs and params first, then where the plan is. Encoded by the client's payload codecs
 * like the run's input, so an encrypted run's details are encrypted too.
 */
export function runDetails(input: RunPipelineInput, pipelineVersion: string | undefined): string {
  const { plan } = input;
  const lines = [
    `**Pipeline run** ${inlineCode(plan.name)} · version ${versionLabel(pipelineVersion, plan.definitionHash)}`,
    '',
    '**Inputs**',
    '',
    jsonBlock(input.inputs),
    '',
    '**Params**',
    '',
    jsonBlock(input.params),
    '',
    `${plan.nodes.length} steps; the compiled plan is the \`plan\` field of the workflow's Input.`,
  ];
  return lines.join('\n');
}

/**
 * The run's input with the user's `inputs` and `params` as its first keys, so the run page's Input
 * opens on them rather than on the compiled plan. The same object (JSON keeps key order; the
 * workflow reads fields by name): the argument shape, and so replay, is unchanged.
 */
export function userValuesFirst(input: RunPipelineInput): RunPipelineInput {
  const { inputs, params, ...rest } = input;
  return { inputs, params, ...rest };
}

/** A registry entity's static summary: what it is, in the list and on its page. */
export function registrySummary(name: string): string {
  return `pipeline registry · ${name} (saved versions; not a run)`;
}

/** A registry entity's static details (markdown): what it is and where its runs are. */
export function registryDetails(name: string): string {
  return [
    `**Saved pipeline ${inlineCode(name)}**: the entity workflow that keeps its versions and which one is deployed.`,
    '',
    'It stays Running while the pipeline exists (it waits for saves, deploys and deletes) and is not a run.',
    '',
    `Runs of this pipeline: ${inlineCode(`${RUNS_QUERY} AND PipelineName = ${JSON.stringify(name)}`)}.`,
  ].join('\n');
}
