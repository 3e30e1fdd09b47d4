/**
 * Pipeline files for the CLI: JSON or YAML (JSON is read by the YAML parser too, so both give
 * positions), and where in the file a compiler issue's path points.
 */
import { readFileSync } from 'node:fs';
import { isNode, LineCounter, parseDocument, type Document } from 'yaml';

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

/** A file's document, or an error naming the file and its first syntax error. */
export function loadPipelineDocument(path: string): unknown {
  const file = readPipelineFile(path);
  const first = file.syntaxErrors[0];
  if (first) throw new Error(`${path}:${first.line}:${first.column}: ${first.message}`);
  return file.document;
}
