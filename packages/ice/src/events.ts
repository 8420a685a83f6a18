// One copy, in @p2pcat/stun (issue 16): the ICE modules and the package entry keep importing it from here.
export type { EventMap, TypedEventEmitter } from '@p2pcat/stun/core';
