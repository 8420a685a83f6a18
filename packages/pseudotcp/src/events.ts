// Typed events (issue 15): an event map names each event and its listener's arguments, and the
// emitter's methods accept only those names and listeners, so a misspelled event or a listener of
// the wrong shape does not compile. Types only: the runtime is node:events' EventEmitter.

/** An event map: each event name to the tuple of its listener's arguments. */
export type EventMap<E> = { [K in keyof E]: unknown[] };

/** The listener methods of an EventEmitter, restricted to the events of `E`. */
export interface TypedEventEmitter<E extends EventMap<E>> {
  on<K extends keyof E>(event: K, listener: (...args: E[K]) => void): this;
  once<K extends keyof E>(event: K, listener: (...args: E[K]) => void): this;
  off<K extends keyof E>(event: K, listener: (...args: E[K]) => void): this;
  addListener<K extends keyof E>(event: K, listener: (...args: E[K]) => void): this;
  removeListener<K extends keyof E>(event: K, listener: (...args: E[K]) => void): this;
  prependListener<K extends keyof E>(event: K, listener: (...args: E[K]) => void): this;
  prependOnceListener<K extends keyof E>(event: K, listener: (...args: E[K]) => void): this;
  removeAllListeners(event?: keyof E): this;
  emit<K extends keyof E>(event: K, ...args: E[K]): boolean;
  listenerCount(event: keyof E): number;
  listeners<K extends keyof E>(event: K): ((...args: E[K]) => void)[];
}
