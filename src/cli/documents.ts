/**
 * Pipeline files for the CLI: JSON or YAML (JSON is read by the YAML parser too, so both give
 * positions), and where in the file a compiler issue's path points.
 */
import { readFileSync } from 'node:fs';
import { isNode, LineCounter, parseDocument, type Document } from 'yaml';
import { PipelineValidationError, type PipelineIssue } from '../model';

export interface PipelineFile {
  path: string;
  /** The parsed document (undefined when the file does not parse). */
  document: unknown;
  /** Syntax errors, with positions. */
  syntaxErrors: Array<{ line: number; column: number; message: string }>;
  /** Line and column (1-based) of the value at `path`, or of its nearest ancestor in the file. */
  locate(path: ReadonlyArray<string | number>): { line: number; column: number };
}

export function readPipelineFile(path: string): PipelineFile {
  const text = readFileSync(path, 'utf8');
  const lineCounter = new LineCounter();
  const doc: Document = parseDocument(text, { lineCounter, uniqueKeys: true });
  const position = (offset: number) => {
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };
  const syntaxErrors = doc.errors.map((error) => ({
    ...position(error.pos[0]),
    message: error.message.split('\n')[0] ?? error.message,
  }));
  return {
    path,
    document: syntaxErrors.length === 0 ? doc.toJS() : undefined,
    syntaxErrors,
    locate(issuePath) {
      for (let depth = issuePath.length; depth >= 0; depth--) {
        const node = depth === 0 ? doc.contents : doc.getIn(issuePath.slice(0, depth), true);
        if (isNode(node) && node.range) return position(node.range[0]);
      }
      return { line: 1, column: 1 };
    },
  };
}

/** A compiler issue with the line and column (1-based) it points at in its file. */
export type LocatedIssue = PipelineIssue & { file: string; line: number; column: number };

/** A definition read from a file was refused: its issues, each at its place in the file. */
export class PipelineFileError extends Error {
  constructor(
    readonly file: string,
    readonly issues: readonly LocatedIssue[],
    options?: { cause?: unknown },
  ) {
    super(`${file}: ${issues.length} issue(s)`, options);
    this.name = 'PipelineFileError';
  }
}

/** A file's document, or an error naming the file and its first syntax error. */
function documentOf(file: PipelineFile): unknown {
  const first = file.syntaxErrors[0];
  if (first) throw new Error(`${file.path}:${first.line}:${first.column}: ${first.message}`);
  return file.document;
}

/**
 * Reads a pipeline file and hands its document to `use` (compile it, save it); when that refuses
 * the definition, the issues come back as a {@link PipelineFileError} placed in the file, as
 * `tpipe validate` shows them.
 */
export async function withPipelineFile<T>(
  path: string,
  use: (document: unknown) => Promise<T> | T,
): Promise<T> {
  const file = readPipelineFile(path);
  try {
    return await use(documentOf(file));
  } catch (err) {
    if (!(err instanceof PipelineValidationError)) throw err;
    const located = err.issues.map((issue) => ({ ...issue, file: path, ...file.locate(issue.path) }));
    throw new PipelineFileError(path, located, { cause: err });
  }
}
