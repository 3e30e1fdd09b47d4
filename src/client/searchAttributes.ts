/**
 * The engine's search attributes on a namespace: which are missing, and adding them through the
 * operator service (the worker does so at start; the local dev server checks them before serving).
 * Where the caller may not add them, `SearchAttributesMissingError` says which and how.
 */
import { isGrpcServiceError, type OperatorService } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { SEARCH_ATTRIBUTES } from '../pipeline/searchAttributes';
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

/**
 * Adds the engine's search attributes that `namespace` lacks; does nothing when all are there.
 * @returns the names it added.
 * @throws SearchAttributesMissingError when some are missing and the server refuses to list or
 * add them (PERMISSION_DENIED, UNIMPLEMENTED as on Temporal Cloud, UNAUTHENTICATED); other
 * errors are thrown as they come.
 */
export async function ensureSearchAttributes(
  connection: OperatorConnection,
  namespace: string,
): Promise<string[]> {
  let missing: SearchAttribute[] = Object.values(SEARCH_ATTRIBUTES).map(({ name, type }) => ({ name, type }));
  try {
    missing = await missingSearchAttributes(connection, namespace);
    if (missing.length === 0) return [];
    await connection.operatorService.addSearchAttributes({
      namespace,
      searchAttributes: Object.fromEntries(missing.map((a) => [a.name, indexedType(a.name)])),
    });
  } catch (err) {
    if (!isGrpcServiceError(err)) throw err;
    const refused = REFUSED[err.code];
    if (refused === undefined) throw err;
    throw new SearchAttributesMissingError(
      namespace,
      missing,
      `this worker may not add them (${refused}: ${err.details || err.message})`,
      { cause: err },
    );
  }
  return missing.map((a) => a.name);
}
