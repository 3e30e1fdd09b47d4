/**
 * Errors of the payload codecs: a configuration that cannot work (malformed keys, a current key
 * that is not in the keyring) and a payload that cannot be decoded (a key id this process does
 * not hold, ciphertext that fails authentication, a claim whose blob is missing).
 */
import { PipelineError } from '../model';

/** The encryption or claim-check configuration is invalid; thrown when the client or worker is created. */
export class CodecConfigError extends PipelineError {
  static readonly CODE = 'codec_config_error';
  readonly code = 'codec_config_error' as const;
}

/**
 * A payload could not be decoded: encrypted with a key id missing from the keyring, tampered
 * with, or a claim-checked blob that storage no longer has.
 */
export class PayloadDecodeError extends PipelineError {
  static readonly CODE = 'payload_decode_error';
  readonly code = 'payload_decode_error' as const;
}
