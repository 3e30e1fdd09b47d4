/**
 * `{{ expr }}` templates in params. A string that is exactly one template (whitespace around
 * allowed) keeps the value's type; mixed text interpolates (strings as-is, numbers and bools via
 * `String`, objects and arrays as JSON).
 *
 * Secrets: `{{ secrets.NAME }}` is never evaluated by the workflow; it stays literally in the
 * rendered value and only the activity resolves it ({@link resolveSecrets}), so secret values
 * never enter workflow history. Only that bare form is allowed (`secrets` inside a larger
 * expression is an `invalid_secret_reference`).
 *
 * Injection: data rendered into an activity's params (an LLM answer, an API body) could itself
 * contain the text `{{ secrets.X }}`. {@link renderActivityParams} therefore writes every `{{`
 * that comes from data as the escape `{{'{{'}}` (a valid template for a literal `{{`), and
 * {@link resolveSecrets} turns escapes back into `{{` in the same left-to-right pass that
 * resolves real references — data can never name a secret.
 */
import { isTemplateParam, PARAM_ROLES } from '../kinds/paramRoles';
import { EvaluationLimitError, ExpressionError, MissingSecretError } from '../definition/errors';
import { EvaluationMeter, utf8Bytes, weigh } from './evaluationMeter';
import {
  checkExpression,
  evaluateExpression,
  type ExpressionCheck,
  type ExpressionScope,
} from './expressions';
import type { PlanNode } from '../plan/plan';
import { setOwn } from './values';

export type TemplatePart =
  | { type: 'text'; text: string }
  | { type: 'expression'; source: string; start: number; end: number }
  | { type: 'secret'; name: string; start: number; end: number };

export interface ParsedTemplate {
  parts: TemplatePart[];
  /** Exactly one `{{ }}` with only whitespace around it: the value keeps its type. */
  single: boolean;
}

export type TemplateParseResult = { ok: true; template: ParsedTemplate } | { ok: false; message: string };

const SECRET_RE = /^secrets\.([A-Za-z_][A-Za-z0-9_]*)$/;
/** The escape for a literal `{{` inside rendered activity params. */
export const ESCAPED_OPEN = "{{'{{'}}";
const SECRET_AT_RE = /\{\{\s*secrets\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/y;

/**
 * Escapes `{{` and `}}` in plain text so it renders as itself inside a template, also when it is
 * put right before or after a `{{ expr }}`. A lone `{` just before a `}}` or at the end is escaped
 * too: left as it is, it would join the `{{` that follows it (`{}}` would become
 * `{{{ '}}' }}`, and `{` before `{{ x }}` would become `{{{ x }}`, both unclosed templates).
 */
export function escapeTemplateText(text: string): string {
  // A lone `{{`, `}}` or final `{` with whitespace around it would escape to a single template,
  // which renders to its value without that whitespace: write the whole text as one string literal.
  if (/^\s*(\{\{|\}\}|\{)\s*$/.test(text) && text.trim() !== text) return `{{ ${JSON.stringify(text)} }}`;
  return text.replace(/\{\{|\}\}|\{(?=\}\}|$)/g, (m) => `{{ '${m}' }}`);
}

/** Whether a string contains template syntax (`{{` or `}}`). */
export function hasTemplate(text: string): boolean {
  return text.includes('{{') || text.includes('}}');
}

/**
 * Finds the `}}` closing a template that starts at `from` (just after `{{`), skipping CEL string
 * literals and balanced `{ }` of map literals. Returns -1 if there is none.
 */
function findClose(text: string, from: number): number {
  let depth = 0;
  let i = from;
  while (i < text.length) {
    const ch = text[i]!;
    if (ch === '"' || ch === "'") {
      const raw = /[rR]/.test(text[i - 1] ?? '') && !/[A-Za-z0-9_]/.test(text[i - 2] ?? '');
      const triple = text.startsWith(ch.repeat(3), i);
      const quote = triple ? ch.repeat(3) : ch;
      i += quote.length;
      while (i < text.length && !text.startsWith(quote, i)) {
        if (!raw && text[i] === '\\') i++;
        else if (!triple && text[i] === '\n') return -1;
        i++;
      }
      if (i >= text.length) return -1;
      i += quote.length;
      continue;
    }
    if (ch === '{') depth++;
    else if (ch === '}') {
      if (depth === 0 && text[i + 1] === '}') return i;
      depth = Math.max(0, depth - 1);
    }
    i++;
  }
  return -1;
}

const parsed = new Map<string, TemplateParseResult>();

/** Splits a string into text, expression and secret parts. Results are cached by text. */
export function parseTemplate(text: string): TemplateParseResult {
  const hit = parsed.get(text);
  if (hit) return hit;
  const result = parseUncached(text);
  if (parsed.size >= 2000) parsed.clear();
  parsed.set(text, result);
  return result;
}

function parseUncached(text: string): TemplateParseResult {
  const parts: TemplatePart[] = [];
  let i = 0;
  let literal = '';
  while (i < text.length) {
    const open = text.indexOf('{{', i);
    const stray = text.indexOf('}}', i);
    if (stray !== -1 && (open === -1 || stray < open)) {
      return {
        ok: false,
        message: `Unexpected '}}' at position ${stray} outside a template; write {{ '}}' }} for a literal '}}'.`,
      };
    }
    if (open === -1) {
      literal += text.slice(i);
      break;
    }
    literal += text.slice(i, open);
    const close = findClose(text, open + 2);
    if (close === -1) {
      return {
        ok: false,
        message: `Unclosed '{{' at position ${open}; a template is written {{ expression }}.`,
      };
    }
    const source = text.slice(open + 2, close).trim();
    if (source === '') return { ok: false, message: `Empty template '{{ }}' at position ${open}.` };
    if (literal) parts.push({ type: 'text', text: literal });
    literal = '';
    const secret = SECRET_RE.exec(source);
    parts.push(
      secret
        ? { type: 'secret', name: secret[1]!, start: open, end: close + 2 }
        : { type: 'expression', source, start: open, end: close + 2 },
    );
    i = close + 2;
  }
  if (literal) parts.push({ type: 'text', text: literal });
  const holes = parts.filter((p) => p.type !== 'text');
  const single = holes.length === 1 && parts.every((p) => p.type !== 'text' || p.text.trim() === '');
  return { ok: true, template: { parts: single ? holes : parts, single } };
}

/** What a template needs: its expressions (checked) and the secrets it names. */
export type TemplateCheck =
  { ok: true; expressions: ExpressionCheck[]; secrets: string[] } | { ok: false; message: string };

/** Parses a template and checks each expression in it (see `checkExpression`). */
export function checkTemplate(text: string): TemplateCheck {
  const result = parseTemplate(text);
  if (!result.ok) return result;
  const expressions: ExpressionCheck[] = [];
  const secrets: string[] = [];
  for (const part of result.template.parts) {
    if (part.type === 'expression') expressions.push(checkExpression(part.source));
    else if (part.type === 'secret') secrets.push(part.name);
  }
  return { ok: true, expressions, secrets };
}

/** Options of {@link renderValue}. */
export interface RenderOptions {
  /** Escape `{{` in data as `{{'{{'}}` (for params an activity passes through {@link resolveSecrets}). */
  escapeData?: boolean;
  /**
   * What the rendering may spend (`EVALUATION_LIMITS`), shared by every template of the value.
   * @default a new meter for each call
   */
  meter?: EvaluationMeter;
}

const secretText = (name: string) => `{{ secrets.${name} }}`;

const escapeText = (text: string): string => text.split('{{').join(ESCAPED_OPEN);

function escapeStrings(value: unknown): unknown {
  if (typeof value === 'string') return escapeText(value);
  if (Array.isArray(value)) return value.map(escapeStrings);
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) setOwn(out, k, escapeStrings(v));
    return out;
  }
  return value;
}

function interpolate(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  return JSON.stringify(value);
}

/**
 * Renders one string. A single `{{ expr }}` returns the expression's value with its type; mixed
 * text returns a string. `{{ secrets.NAME }}` stays as written. What it renders is weighed
 * against `EVALUATION_LIMITS` as it is built: interpolated text by its UTF-8 bytes.
 *
 * @throws ExpressionError when the template is malformed or an expression fails.
 * @throws EvaluationLimitError when rendering goes past one of `EVALUATION_LIMITS`.
 */
export function renderTemplate(text: string, scope: ExpressionScope, options: RenderOptions = {}): unknown {
  const result = parseTemplate(text);
  if (!result.ok) throw new ExpressionError(text, result.message);
  const { parts, single } = result.template;
  const meter = options.meter ?? new EvaluationMeter();
  const data = (value: unknown) => (options.escapeData ? escapeStrings(value) : value);
  try {
    if (single) {
      const part = parts[0]!;
      if (part.type === 'secret') return secretText(part.name);
      if (part.type === 'expression') {
        const value = evaluateExpression(part.source, scope, meter);
        meter.renderedValue(value);
        return data(value);
      }
    }
    let out = '';
    let bytes = 0;
    const append = (piece: string) => {
      bytes += utf8Bytes(piece, meter.limits.maxValueBytes - bytes);
      meter.interpolated(bytes);
      out += piece;
    };
    for (const part of parts) {
      if (part.type === 'text') append(part.text);
      else if (part.type === 'secret') append(secretText(part.name));
      else {
        const value = evaluateExpression(part.source, scope, meter);
        // Weighed before it is turned into text: JSON of a large value is itself large.
        meter.interpolated(bytes + weigh(value, meter.limits.maxValueBytes - bytes));
        const piece = interpolate(value);
        append(options.escapeData ? escapeText(piece) : piece);
      }
    }
    meter.renderedValue(out);
    return out;
  } catch (error) {
    if (error instanceof EvaluationLimitError && error.expression === undefined) {
      throw new EvaluationLimitError(error.limit, error.max, error.reason, text);
    }
    throw error;
  }
}

/**
 * Renders every template in a JSON value (deeply: objects and arrays are walked; keys are not
 * templates). Strings without `{{` are returned as they are.
 *
 * @throws ExpressionError when a template is malformed or an expression fails.
 */
export function renderValue(value: unknown, scope: ExpressionScope, options: RenderOptions = {}): unknown {
  if (options.meter === undefined) options = { ...options, meter: new EvaluationMeter() };
  if (typeof value === 'string') return hasTemplate(value) ? renderTemplate(value, scope, options) : value;
  if (Array.isArray(value)) return value.map((item: unknown) => renderValue(item, scope, options));
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [key, member] of Object.entries(value)) {
      setOwn(out, key, renderValue(member, scope, options));
    }
    return out;
  }
  return value;
}

/** {@link renderValue} for params an activity receives: data-borne `{{` is escaped. */
export function renderActivityParams(
  params: Record<string, unknown>,
  scope: ExpressionScope,
): Record<string, unknown> {
  return renderValue(params, scope, { escapeData: true }) as Record<string, unknown>;
}

/**
 * Renders a plan node's params the way its kind wants: only template params are rendered
 * (a `condition`'s or `transform`'s CEL source and an `input`'s settings are left as written),
 * and activity params get data-borne `{{` escaped. This is what the interpreter should call.
 *
 * @throws ExpressionError when a template fails.
 * @throws EvaluationLimitError when the step's templates go past one of `EVALUATION_LIMITS`.
 */
export function renderNodeParams(
  node: Pick<PlanNode, 'kind' | 'execution' | 'params'>,
  scope: ExpressionScope,
): Record<string, unknown> {
  const roles = PARAM_ROLES[node.kind];
  const options: RenderOptions = { escapeData: node.execution === 'activity', meter: new EvaluationMeter() };
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node.params)) {
    setOwn(out, key, isTemplateParam(roles, key) ? renderValue(value, scope, options) : value);
  }
  return out;
}

/**
 * Activity side: replaces every `{{ secrets.NAME }}` in a rendered value with the secret, and
 * every escaped `{{'{{'}}` with `{{`. Walks objects and arrays; returns a new value.
 *
 * @throws MissingSecretError naming the first secret `lookup` does not know.
 * @example resolveSecrets({ authorization: 'Bearer {{ secrets.API_TOKEN }}' }, (n) => process.env[n])
 */
export function resolveSecrets<T>(value: T, lookup: (name: string) => string | undefined): T {
  return resolveIn(value, lookup) as T;
}

function resolveIn(value: unknown, lookup: (name: string) => string | undefined): unknown {
  if (typeof value === 'string') return value.includes('{{') ? resolveString(value, lookup) : value;
  if (Array.isArray(value)) return value.map((item: unknown) => resolveIn(item, lookup));
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [key, member] of Object.entries(value)) setOwn(out, key, resolveIn(member, lookup));
    return out;
  }
  return value;
}

function resolveString(text: string, lookup: (name: string) => string | undefined): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const open = text.indexOf('{{', i);
    if (open === -1) {
      out += text.slice(i);
      break;
    }
    out += text.slice(i, open);
    if (text.startsWith(ESCAPED_OPEN, open)) {
      out += '{{';
      i = open + ESCAPED_OPEN.length;
      continue;
    }
    SECRET_AT_RE.lastIndex = open;
    const secret = SECRET_AT_RE.exec(text);
    if (secret) {
      const name = secret[1]!;
      const found = lookup(name);
      if (found === undefined) throw new MissingSecretError(name);
      out += found;
      i = open + secret[0].length;
      continue;
    }
    out += '{{';
    i = open + 2;
  }
  return out;
}

/** The secret names a value's templates refer to (sorted, unique). */
export function findSecretReferences(value: unknown): string[] {
  const names = new Set<string>();
  const visit = (v: unknown): void => {
    if (typeof v === 'string') {
      if (!v.includes('{{')) return;
      const result = parseTemplate(v);
      if (result.ok) for (const p of result.template.parts) if (p.type === 'secret') names.add(p.name);
    } else if (Array.isArray(v)) v.forEach(visit);
    else if (typeof v === 'object' && v !== null) Object.values(v).forEach(visit);
  };
  visit(value);
  return [...names].sort();
}
