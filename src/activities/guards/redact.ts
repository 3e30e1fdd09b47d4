/**
 * Redaction of what leaves a node activity. Every secret value the attempt resolved — and its
 * JSON-escaped (once or twice), URL-encoded, form-encoded, base64 and base64url forms — becomes `[secret:NAME]`
 * in results, failures (message, stack, details, the cause chain), log records, heartbeat
 * details and streamed text. Messages (failure messages, stacks, log lines) also lose URL
 * userinfo (`user:pw@`) and query strings, whatever secrets the attempt used.
 *
 * Values shorter than {@link MIN_REDACTED_LENGTH} characters are not searched for: matching
 * `abc` would shred ordinary text and tell a reader where the secret is. Such secrets still reach
 * nothing by design (the engine never echoes resolved params); only a server or action that
 * echoes them back could expose them.
 */
import { ApplicationFailure } from '@temporalio/common';

/** Secret values shorter than this are not searched for (see the module comment). */
export const MIN_REDACTED_LENGTH = 4;

const MAX_CAUSE_DEPTH = 10;
const MAX_VALUE_DEPTH = 256;

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The spellings of `value` a reader could find it under. */
export function secretForms(value: string): string[] {
  if (value.length < MIN_REDACTED_LENGTH) return [];
  const base64 = Buffer.from(value, 'utf8').toString('base64');
  const jsonEscaped = JSON.stringify(value).slice(1, -1);
  const forms = [
    value,
    jsonEscaped,
    // JSON inside JSON: a reply that echoes a JSON request body as a string.
    JSON.stringify(jsonEscaped).slice(1, -1),
    encodeURIComponent(value),
    new URLSearchParams({ v: value }).toString().slice(2),
    base64,
    base64.replace(/=+$/, ''),
    Buffer.from(value, 'utf8').toString('base64url'),
  ];
  return [...new Set(forms)];
}

// `scheme://user:pw@` → `scheme://`; `scheme://host/path?query` → `scheme://host/path`.
const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#@"'<>]*@/gi;
const URL_QUERY = /\b([a-z][a-z0-9+.-]*:\/\/[^\s?#"'<>]*)\?[^\s#"'<>]*/gi;

/** `text` without URL userinfo and query strings. */
export function stripUrlSecrets(text: string): string {
  if (!text.includes('://')) return text;
  return text.replace(URL_USERINFO, '$1').replace(URL_QUERY, '$1');
}

/**
 * Replaces the secrets one attempt resolved. Build it with the values by name; with none it
 * only strips URLs from messages.
 * @example
 * const r = new Redactor(new Map([['API_TOKEN', 'tok-123456']]));
 * r.message('401 for Bearer tok-123456 at https://u:p@x.test/a?k=1'); // '401 for Bearer [secret:API_TOKEN] at https://x.test/a'
 */
export class Redactor {
  private readonly pattern: RegExp | undefined;
  private readonly names = new Map<string, string>();
  /** Every form of every secret, for the streaming hold-back. */
  private readonly forms: string[] = [];

  constructor(secrets: ReadonlyMap<string, string> = new Map()) {
    for (const [name, value] of secrets) {
      for (const form of secretForms(value)) {
        // Two secrets with one value: the first name wins (either name is truthful).
        if (!this.names.has(form)) this.names.set(form, name);
      }
    }
    this.forms = [...this.names.keys()].sort((a, b) => b.length - a.length);
    this.pattern =
      this.forms.length > 0 ? new RegExp(this.forms.map(escapeRegExp).join('|'), 'g') : undefined;
  }

  /** Whether any secret is searched for. */
  get active(): boolean {
    return this.pattern !== undefined;
  }

  /** `text` with every secret form replaced. */
  text(text: string): string {
    if (!this.pattern) return text;
    return text.replace(this.pattern, (form) => `[secret:${this.names.get(form)}]`);
  }

  /** A message, stack trace or log line: secrets replaced, URL userinfo and queries stripped. */
  message(text: string): string {
    return stripUrlSecrets(this.text(text));
  }

  /** A JSON-like value with every string (and key) redacted; returns `value` itself when nothing changed. */
  value<T>(value: T): T {
    if (!this.pattern) return value;
    return this.walk(value, 0) as T;
  }

  private walk(value: unknown, depth: number): unknown {
    if (typeof value === 'string') return this.text(value);
    if (typeof value !== 'object' || value === null || depth > MAX_VALUE_DEPTH) return value;
    if (Array.isArray(value)) {
      let changed = false;
      const out = value.map((item: unknown) => {
        const next = this.walk(item, depth + 1);
        if (next !== item) changed = true;
        return next;
      });
      return changed ? out : value;
    }
    const proto = Object.getPrototypeOf(value) as unknown;
    if (proto !== Object.prototype && proto !== null) return value; // Dates, buffers: no text to hide
    let changed = false;
    const out: Record<string, unknown> = {};
    for (const [key, member] of Object.entries(value)) {
      const k = this.text(key);
      const next = this.walk(member, depth + 1);
      if (k !== key || next !== member) changed = true;
      Object.defineProperty(out, k, { value: next, enumerable: true, writable: true, configurable: true });
    }
    return changed ? out : value;
  }

  /**
   * The failure with its message, stack, details and whole cause chain redacted (a new failure;
   * causes become plain errors, or `ApplicationFailure`s when they were ones, keeping type and name).
   */
  failure(failure: ApplicationFailure): ApplicationFailure {
    return this.applicationFailure(failure, 0);
  }

  private applicationFailure(f: ApplicationFailure, depth: number): ApplicationFailure {
    const copy = ApplicationFailure.create({
      type: f.type ?? undefined,
      message: this.message(f.message),
      nonRetryable: f.nonRetryable ?? undefined,
      // eslint-disable-next-line @typescript-eslint/no-unsafe-assignment -- `Duration` comes from `ms`, whose types the linter does not resolve
      nextRetryDelay: f.nextRetryDelay ?? undefined,
      details: f.details ? this.value([...f.details]) : undefined,
      category: f.category ?? undefined,
      cause: this.cause(f.cause, depth + 1),
    });
    copy.stack = this.message(f.stack ?? '');
    return copy;
  }

  private cause(err: unknown, depth: number): Error | undefined {
    if (depth > MAX_CAUSE_DEPTH || typeof err !== 'object' || err === null) return undefined;
    if (err instanceof ApplicationFailure) return this.applicationFailure(err, depth);
    const e = err as { name?: unknown; message?: unknown; stack?: unknown; cause?: unknown };
    if (typeof e.message !== 'string') return undefined;
    const copy = new Error(this.message(e.message), { cause: this.cause(e.cause, depth + 1) });
    if (typeof e.name === 'string') copy.name = e.name;
    copy.stack = this.message(typeof e.stack === 'string' ? e.stack : `${copy.name}: ${copy.message}`);
    if (copy.cause === undefined) delete copy.cause;
    return copy;
  }

  /** `cut`, moved back to the start of any secret form that straddles it. */
  safeCut(text: string, cut: number): number {
    if (!this.pattern) return cut;
    for (const match of text.matchAll(this.pattern)) {
      const end = match.index + match[0].length;
      if (match.index < cut && end > cut) return match.index;
      if (match.index >= cut) break;
    }
    return cut;
  }

  /** A redactor for text that arrives in pieces (see {@link StreamRedactor}). */
  stream(): StreamRedactor {
    return new StreamRedactor(this, this.forms);
  }
}

/**
 * Redacts text streamed in pieces (an LLM's token deltas), where a secret can be split across
 * pieces: the longest tail that could begin a secret is held back until the next piece (or
 * {@link StreamRedactor.end}) shows whether it does.
 */
export class StreamRedactor {
  private held = '';

  constructor(
    private readonly redactor: Redactor,
    private readonly forms: readonly string[],
  ) {}

  /** What can be sent now of everything received so far. */
  push(piece: string): string {
    if (!this.redactor.active) return piece;
    const text = this.held + piece;
    const cut = this.redactor.safeCut(text, text.length - this.heldTail(text));
    this.held = text.slice(cut);
    return this.redactor.text(text.slice(0, cut));
  }

  /** The rest, at the end of the stream. */
  end(): string {
    const rest = this.redactor.text(this.held);
    this.held = '';
    return rest;
  }

  /** Length of the longest suffix of `text` that is a proper prefix of some secret form. */
  private heldTail(text: string): number {
    let best = 0;
    for (const form of this.forms) {
      const max = Math.min(form.length - 1, text.length);
      for (let n = max; n > best; n--) {
        if (text.endsWith(form.slice(0, n))) {
          best = n;
          break;
        }
      }
    }
    return best;
  }
}
