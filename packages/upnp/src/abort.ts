/** An abort's error: the signal's reason if an AbortError, else a DOMException 'AbortError' with the reason as `cause`. */
export const abortError = (signal: AbortSignal, message = 'the operation was aborted'): Error =>
  signal.reason instanceof Error && signal.reason.name === 'AbortError'
    ? signal.reason
    : new DOMException(message, { name: 'AbortError', cause: signal.reason });
