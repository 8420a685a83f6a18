// Record types of the p2pcat session protocol (inside the encrypted records).
//
// Each side sends HELLO first, then its content, then EOF; after it has both sent and received
// EOF it sends BYE. A side is done when it has sent and received BYE: a BYE from the peer proves
// that the peer has read everything we sent. ABORT ends the session at once with a reason.
//   a side's records:  HELLO content EOF BYE       (PING anywhere after HELLO, until its BYE)
//   pipe content:      DATA*                       -- only from a peer whose HELLO said "pipe"
//   file content:      ENTRY* ENTRIES_END (FILE_DATA* FILE_END)*  -- files in ENTRY order, only
//                      from a peer whose HELLO said "files", and only to a side that sends none
// Anything else (a record before HELLO, content of the other mode, content after EOF, a BYE
// before EOF) is a protocol error: the session ends with exit 5.
//
// PING (empty payload) is the keepalive: a side sends one whenever it has sent no record for
// 30 s, so that a peer with nothing to say (a pipe nobody types into, a receiver writing to disk)
// is told apart from a silent one. A side that receives no record for --idle-timeout ends the
// session (exit 4): a peer that stopped sending records, or whose process is stopped, looks so.
// PING carries nothing and changes no state; the counter nonce still authenticates its place.
export const RecordType = {
  Hello: 1,
  Data: 2,
  Eof: 3,
  Bye: 4,
  Abort: 5,
  Ping: 6,
  Entry: 16,
  EntriesEnd: 17,
  FileData: 18,
  FileEnd: 19,
} as const;

export interface Hello {
  version: 1;
  mode: 'pipe' | 'files';
}

export interface Entry {
  path: string;
  type: 'file' | 'dir';
  size: number;
}

export interface Abort {
  reason: string;
}

export function encodeJson(value: unknown): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(value));
}

/** Parses a peer's JSON payload; anything malformed is a protocol violation. */
export function decodeJson<T>(payload: Uint8Array, check: (v: unknown) => v is T, what: string): T {
  let v: unknown;
  try {
    v = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(payload));
  } catch {
    throw new Error(`malformed ${what} from the peer`);
  }
  if (!check(v)) throw new Error(`malformed ${what} from the peer`);
  return v;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export const isHello = (v: unknown): v is Hello =>
  isObject(v) && v.version === 1 && (v.mode === 'pipe' || v.mode === 'files');
export const isEntry = (v: unknown): v is Entry =>
  isObject(v) &&
  typeof v.path === 'string' &&
  (v.type === 'file' || v.type === 'dir') &&
  typeof v.size === 'number' &&
  Number.isSafeInteger(v.size) &&
  v.size >= 0 &&
  (v.type === 'file' || v.size === 0);
export const isAbort = (v: unknown): v is Abort => isObject(v) && typeof v.reason === 'string';
