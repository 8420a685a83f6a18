/**
 * What an aborted operation rejects with: the signal's reason when it is already an AbortError,
 * else a DOMException named 'AbortError' that keeps the reason (a timeout, a string) as its cause.
 */
export function abortError(signal: AbortSignal, message = 'the operation was aborted'): Error {
  const reason: unknown = signal.reason;
  if (reason instanceof Error && reason.name === 'AbortError') return reason;
  const error = new DOMException(message, 'AbortError');
  if (reason !== undefined)
    Object.defineProperty(error, 'cause', { value: reason, configurable: true, writable: true });
  return error;
}
