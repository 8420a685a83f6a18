// Types only. Pseudo-TCP depends on no other package, so it does not import @p2pcat/stun's
// TypedEventEmitter: the platform's own typed EventEmitter (node:events) stands for it.
import type { EventEmitter } from 'node:events';

/** An event map: each event name to the tuple of its listener's arguments. */
export type EventMap<E> = { [K in keyof E]: unknown[] };

/**
 * An EventEmitter whose listener methods (`on`, `once`, `off`, `emit`, ...) accept only the events
 * of `E` with listeners of their arguments: node:events' generic `EventEmitter<E>`, as a type.
 */
export type TypedEventEmitter<E extends EventMap<E>> = EventEmitter<E>;
