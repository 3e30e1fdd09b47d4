/**
 * What the compiler and the run-time checks report about a definition, its inputs and params:
 * one issue per problem, each with a stable code.
 */

/** One problem found in a definition, Zod-style. */
export interface PipelineIssue {
  /** Where: `['steps', 2, 'params', 'prompt']`. */
  path: (string | number)[];
  /** A stable machine-readable code, e.g. `unknown_action`, `cycle`. */
  code: PipelineIssueCode;
  /** A sentence a user can act on. */
  message: string;
  /** The step the issue is about, when there is one. */
  stepId?: string;
}

export type PipelineIssueCode =
  | 'invalid_document'
  | 'duplicate_id'
  | 'unknown_action'
  | 'invalid_params'
  | 'unknown_step'
  | 'unknown_field'
  | 'unknown_param'
  | 'unknown_input'
  | 'unknown_variable'
  | 'cycle'
  | 'self_dependency'
  | 'invalid_branch_target'
  | 'invalid_template'
  | 'invalid_expression'
  | 'invalid_secret_reference'
  | 'invalid_retry'
  /** A budget that is not positive, is empty, or sits on a step that is not an `llm` step. */
  | 'invalid_budget'
  /** Two `input` nodes read the same input name, or two `output` nodes write the same output name. */
  | 'duplicate_name'
  /** A warning: a setting the step's kind does not use (e.g. `retry` on an inline step). */
  | 'ignored_setting'
  /** Run time: a required param was not given and has no default. */
  | 'missing_param'
  /** Run time: a required input was not given and has no default. */
  | 'missing_input'
  /** Run time: a param or input value does not have its declared type. */
  | 'invalid_type'
  /** A builder pipeline was started with edits that were never saved. */
  | 'unsaved_changes'
  /** Run time: the run's inputs or params are larger than the client's `maxInputBytes`. */
  | 'too_large'
  /** A schedule's cron expression that is malformed or that Temporal refused. */
  | 'invalid_cron'
  /** A schedule's timing or policy Temporal refused (an interval, a time zone, …). */
  | 'invalid_schedule';
