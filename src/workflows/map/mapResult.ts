/**
 * A map's result as the items settle, weighed as it grows. The outputs and the errors travel
 * together in one Temporal payload (the map workflow's result, and each continuation's input), so
 * both count towards `max_output_bytes`: an output that takes the total past it makes the map fail
 * (`MapOutputTooLarge`); an error that does not fit — past `MAX_MAP_ERRORS` (1,000),
 * {@link MAX_MAP_ERROR_BYTES} or what the outputs leave — is counted in `droppedErrors`, not kept.
 * Each kept message is cut to `MAX_MAP_ERROR_MESSAGE_BYTES` (1 KiB). Pure: no workflow API.
 */
import { truncateLogMessage } from '../../protocol';
import {
  jsonBytes,
  MAX_MAP_ERROR_BYTES,
  MAX_MAP_ERROR_MESSAGE_BYTES,
  MAX_MAP_ERRORS,
  type MapCarryOver,
  type MapItemError,
} from '../../model';

/** The part of a map's carry-over that {@link MapResult} keeps. */
export type MapResultState = Pick<
  MapCarryOver,
  'results' | 'errors' | 'droppedErrors' | 'outputBytes' | 'errorBytes'
>;

/** `error` with its message cut to `MAX_MAP_ERROR_MESSAGE_BYTES` (1 KiB). */
export function boundedItemError(error: MapItemError): MapItemError {
  return { ...error, message: truncateLogMessage(error.message, MAX_MAP_ERROR_MESSAGE_BYTES) };
}

export class MapResult {
  readonly results: unknown[];
  readonly errors: MapItemError[];
  private dropped: number;
  /** Bytes of JSON of `results`: each settled entry and its separator. */
  private outputBytes: number;
  /** Bytes of JSON of `errors`: each kept error and its separator. */
  private errorBytes: number;

  /** `maxBytes`: the step's `max_output_bytes`; `carried`: the state a continuation picks up. */
  constructor(
    private readonly maxBytes: number,
    carried?: MapResultState,
  ) {
    this.results = carried ? carried.results : [];
    this.errors = carried ? carried.errors : [];
    this.dropped = carried?.droppedErrors ?? 0;
    this.outputBytes = carried?.outputBytes ?? 0;
    // A continuation started before errors were weighed carries them unweighed: weigh them now.
    this.errorBytes = carried?.errorBytes ?? this.errors.reduce((sum, e) => sum + jsonBytes(e) + 1, 0);
  }

  /** What the outputs and the kept errors weigh together, bytes of JSON. */
  get bytes(): number {
    return this.outputBytes + this.errorBytes;
  }

  /** Whether the result weighs more than `max_output_bytes`. */
  get tooLarge(): boolean {
    return this.bytes > this.maxBytes;
  }

  /** Failed items not kept in `errors`. */
  get droppedErrors(): number {
    return this.dropped;
  }

  /** Items that failed, kept or not. */
  get failed(): number {
    return this.errors.length + this.dropped;
  }

  /** Records item `index`'s output (null for none). */
  addOutput(index: number, output: unknown): void {
    this.results[index] = output ?? null;
    this.outputBytes += jsonBytes(output) + 1;
  }

  /** Records that item `index` has no output (it was cancelled, or failed): null. */
  addNone(index: number): void {
    this.addOutput(index, null);
  }

  /** Records item `index`'s failure: null in `results`; the error kept, message cut, if it fits. */
  addFailure(error: MapItemError): void {
    this.addNone(error.index);
    const kept = boundedItemError(error);
    const size = jsonBytes(kept) + 1;
    const fits =
      this.errors.length < MAX_MAP_ERRORS &&
      this.errorBytes + size <= MAX_MAP_ERROR_BYTES &&
      this.bytes + size <= this.maxBytes;
    if (!fits) {
      this.dropped++;
      return;
    }
    this.errors.push(kept);
    this.errorBytes += size;
  }

  /** What a continuation carries. */
  state(): Required<MapResultState> {
    return {
      results: this.results,
      errors: this.errors,
      droppedErrors: this.dropped,
      outputBytes: this.outputBytes,
      errorBytes: this.errorBytes,
    };
  }
}
