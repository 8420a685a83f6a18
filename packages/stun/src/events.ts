// Typed events (issue 15): an event map names each event and its listener's arguments, and the
// emitter's methods accept only those names and listeners, so a misspelled event or a listener of
// the wrong shape does not compile. Types only: the runtime is node:events' EventEmitter. Stun
// emits no events itself: the type lives here, the lowest package, for turn, gather and ice.

/** An event map: each event name to the tuple of its listener's arguments. */
export type EventMap<E> = { [K in keyof E]: unknown[] };

/** The listener methods of an EventEmitter, restricted to the events of `E`. */
export interface TypedEventEmitter<E extends EventMap<E>> {
  /** Calls `listener` on every `event` (appended to its listeners). */
  on<K extends keyof E>(event: K, listener: (...args: E[K]) => void): this;
  /** Calls `listener` on the next `event` only. */
  once<K extends keyof E>(event: K, listener: (...args: E[K]) => void): this;
  /** Removes `listener` from `event` (the same as removeListener). */
  off<K extends keyof E>(event: K, listener: (...args: E[K]) => void): this;
  /** Calls `listener` on every `event` (the same as on). */
  addListener<K extends keyof E>(event: K, listener: (...args: E[K]) => void): this;
  /** Removes `listener` from `event` (its most recently added copy). */
  removeListener<K extends keyof E>(event: K, listener: (...args: E[K]) => void): this;
  /** Calls `listener` on every `event`, before the listeners already added. */
  prependListener<K extends keyof E>(event: K, listener: (...args: E[K]) => void): this;
  /** Calls `listener` on the next `event` only, before the listeners already added. */
  prependOnceListener<K extends keyof E>(event: K, listener: (...args: E[K]) => void): this;
  /** Removes every listener of `event`, or of every event when `event` is left out. */
  removeAllListeners(event?: keyof E): this;
  /** Calls the listeners of `event` with `args`, synchronously; whether there were any. */
  emit<K extends keyof E>(event: K, ...args: E[K]): boolean;
  /** How many listeners `event` has. */
  listenerCount(event: keyof E): number;
  /** A copy of the listeners of `event`. */
  listeners<K extends keyof E>(event: K): ((...args: E[K]) => void)[];
}
