/**
 * The engine's search attributes on a namespace: which are missing, and adding them through the
 * operator service (the worker does so at start; the local dev server checks them before serving).
 * Where the caller may not add them, `SearchAttributesMissingError` says which and how.
 */
import { isGrpcServiceError, type OperatorService } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { SEARCH_ATTRIBUTES } from '../protocol';
import { SearchAttributesMissingError } from './errors';

/** A connection with an operator service: `Connection` (client) or `NativeConnection` (worker). */
export interface OperatorConnection {
  readonly operatorService: OperatorService;
}

export interface SearchAttribute {
  name: string;
  /** As the CLI spells it: `Keyword`, `KeywordList`, `Int`. */
  type: string;
}

const IndexedValueType = temporal.api.enums.v1.IndexedValueType;
const INDEXED_TYPES: Record<(typeof SEARCH_ATTRIBUTES)[keyof typeof SEARCH_ATTRIBUTES]['sdkType'], number> = {
  KEYWORD: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  KEYWORD_LIST: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST,
  INT: IndexedValueType.INDEXED_VALUE_TYPE_INT,
};

const indexedType = (name: string): number => {
  const attribute = Object.values(SEARCH_ATTRIBUTES).find((a) => a.name === name);
  if (!attribute) throw new RangeError(`not an engine search attribute: ${name}`);
  return INDEXED_TYPES[attribute.sdkType];
};

/** gRPC codes that mean "you may not" rather than "try again". */
const REFUSED = { 7: 'PERMISSION_DENIED', 12: 'UNIMPLEMENTED', 16: 'UNAUTHENTICATED' } as Record<
  number,
  string
>;

/** The engine's search attributes that `namespace` does not have. */
export async function missingSearchAttributes(
  connection: OperatorConnection,
  namespace: string,
): Promise<SearchAttribute[]> {
  const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
  const present = customAttributes ?? {};
  return Object.values(SEARCH_ATTRIBUTES)
    .filter((a) => !(a.name in present))
    .map(({ name, type }) => ({ name, type }));
}

/** What `ensureSearchAttributes` did. */
export interface EnsuredSearchAttributes {
  /** The names it added (empty when all were there). */
  added: string[];
  /**
   * Set when the server refused even to list them (e.g. an API key without operator rights): they
   * could not be checked, so the worker starts anyway; a run start then fails with
   * `SearchAttributesMissingError` if one is missing. Says why.
   */
  unchecked?: string;
}

/** The gRPC refusal `err` is (`PERMISSION_DENIED: …`), or undefined for other errors. */
function refusal(err: unknown): string | undefined {
  if (!isGrpcServiceError(err)) return undefined;
  const name = REFUSED[err.code];
  return name === undefined ? undefined : `${name}: ${err.details || err.message}`;
}

/**
 * Adds the engine's search attributes that `namespace` lacks; does nothing when all are there.
 * @throws SearchAttributesMissingError when some are missing and the server refuses to add them
 * (PERMISSION_DENIED, UNIMPLEMENTED as on Temporal Cloud, UNAUTHENTICATED); other errors are
 * thrown as they come.
 */
export async function ensureSearchAttributes(
  connection: OperatorConnection,
  namespace: string,
): Promise<EnsuredSearchAttributes> {
  let missing: SearchAttribute[];
  try {
    missing = await missingSearchAttributes(connection, namespace);
  } catch (err) {
    const refused = refusal(err);
    if (refused === undefined) throw err;
    return { added: [], unchecked: `listing the search attributes was refused (${refused})` };
  }
  if (missing.length === 0) return { added: [] };
  try {
    await connection.operatorService.addSearchAttributes({
      namespace,
      searchAttributes: Object.fromEntries(missing.map((a) => [a.name, indexedType(a.name)])),
    });
  } catch (err) {
    const refused = refusal(err);
    if (refused === undefined) throw err;
    throw new SearchAttributesMissingError(namespace, missing, `this worker may not add them (${refused})`, {
      cause: err,
    });
  }
  return { added: missing.map((a) => a.name) };
}
