/**
 * The failure converter used when payloads are encrypted: failure messages and stack traces move
 * into the failure's `encodedAttributes` payload, which the payload codecs encrypt like any
 * other payload (history then shows `Encoded failure`; clients and the codec server decode it).
 * Loaded by path (`failureConverterPath`) on clients and workers, and bundled into the workflow
 * code by `bundleWorkflows({ encodeFailures: true })`, since workflow code converts its own failures.
 */
import { DefaultFailureConverter } from '@temporalio/common';

/** Text the bundled converter carries, so a worker can tell a bundle that encodes failures. */
export const ENCODED_FAILURES_MARKER = 'temporal-pipelines:encoded-failures';

class EncodedFailureConverter extends DefaultFailureConverter {
  readonly marker = ENCODED_FAILURES_MARKER;
}

/** The SDK's default converter with `encodeCommonAttributes: true`. */
export const failureConverter = new EncodedFailureConverter({ encodeCommonAttributes: true });
