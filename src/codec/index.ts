/**
 * Payload encryption, the claim check for large payloads, and the codec server for the Web UI.
 */
export { CodecConfigError, PayloadDecodeError } from './errors';
export {
  CIPHER_METADATA,
  ENCRYPTED_ENCODING,
  EncryptionCodec,
  KEY_ID_METADATA,
  type EncryptionOptions,
} from './encryption';
export { LocalDirectoryStorage, type PayloadStorage } from './storage';
export {
  CLAIM_CHECK_ENCODING,
  ClaimCheckCodec,
  DEFAULT_CLAIM_CHECK_THRESHOLD_BYTES,
  claimKey,
  type ClaimCheckOptions,
} from './claimCheck';
export {
  PayloadEnv,
  createDataConverter,
  encodedFailureConverterPath,
  createPayloadCodecs,
  hasClaimCheck,
  parseKeyList,
  payloadOptionsFromEnv,
  type PayloadOptions,
} from './payloadOptions';
export { ENCODED_FAILURES_MARKER } from './failureConverter';
export { CODEC_ALLOWED_HEADERS, createCodecServer, type CodecServerOptions } from './server';
export type { JwtOptions } from './jwt';
