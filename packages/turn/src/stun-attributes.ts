// Reading attributes from a STUN message that may come from a hostile server.
import type { AttributeValues, StunMessage } from '@p2pcat/stun/core';

/** StunMessage.get throws on a malformed attribute value; a malformed attribute counts as absent. */
export function safeGet<K extends keyof AttributeValues>(
  message: StunMessage,
  name: K,
): AttributeValues[K] | undefined {
  try {
    return message.get(name);
  } catch {
    return undefined;
  }
}

/** StunMessage.getAll, with a malformed attribute counting as none. */
export function safeGetAll<K extends keyof AttributeValues>(
  message: StunMessage,
  name: K,
): AttributeValues[K][] {
  try {
    return message.getAll(name);
  } catch {
    return [];
  }
}
