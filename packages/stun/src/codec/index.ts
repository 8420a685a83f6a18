export type { AddressFamily, TransportAddress } from './address.js';
export { PasswordAlgorithm } from './attributes/auth.js';
export { attributeTypeName } from './attributes/registry.js';
export type { AttributeName, AttributeValues } from './attributes/values.js';
export { type AddOptions, type BuildOptions, StunMessageBuilder } from './builder.js';
export { decodeChannelData, encodeChannelData } from './channel-data.js';
export { AttributeType, MAGIC_COOKIE, type MessageClass, StunMethod } from './constants.js';
export {
  type LongTermKeyOptions,
  longTermKey,
  opaqueString,
  PrecisError,
  saslPrep,
  shortTermKey,
  userhash,
} from './credentials.js';
export { demultiplex } from './demultiplex.js';
export { StunDecodeError } from './errors.js';
export { isStunMessage } from './header.js';
export { verifyFingerprint, verifyMessageIntegrity } from './integrity.js';
export { decodeStunMessage, type StunAttribute, type StunMessage } from './message.js';
export { encodeNonceCookie, NONCE_COOKIE, parseNonceCookie, type SecurityFeatures } from './nonce.js';
export { randomBytes, randomTransactionId } from './random.js';
