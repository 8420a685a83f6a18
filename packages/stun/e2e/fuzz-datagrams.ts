// Seeded generator of hostile datagrams for the STUN server fuzz test: random bytes, valid Binding
// requests with mutated attributes, RESPONSE-PORT 0, huge unknown-attribute lists, CHANGE-REQUEST,
// PADDING, truncations and lying length fields.
import { AttributeType, StunMessageBuilder, StunMethod } from '../src/index.js';

/** mulberry32: small, fast, seeded. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export type FuzzKind =
  | 'random'
  | 'mutated'
  | 'response-port-0'
  | 'response-port'
  | 'unknown-list'
  | 'change-request'
  | 'padding'
  | 'truncated'
  | 'bit-flip'
  | 'classic'
  | 'other-method';

const KINDS: [FuzzKind, number][] = [
  ['random', 14],
  ['mutated', 20],
  ['response-port-0', 6],
  ['response-port', 6],
  ['unknown-list', 2],
  ['change-request', 14],
  ['padding', 8],
  ['truncated', 10],
  ['bit-flip', 10],
  ['classic', 4],
  ['other-method', 6],
];
const TOTAL = KINDS.reduce((s, [, w]) => s + w, 0);

const KNOWN_TYPES = [
  AttributeType.MAPPED_ADDRESS,
  AttributeType.XOR_MAPPED_ADDRESS,
  AttributeType.CHANGE_REQUEST,
  AttributeType.RESPONSE_PORT,
  AttributeType.PADDING,
  AttributeType.USERNAME,
  AttributeType.ERROR_CODE,
  AttributeType.UNKNOWN_ATTRIBUTES,
  AttributeType.SOFTWARE,
  AttributeType.RESPONSE_ORIGIN,
  AttributeType.OTHER_ADDRESS,
];

export interface FuzzOptions {
  /** Ports RESPONSE-PORT may name (the fuzzer's own sockets, so answers are seen). */
  responsePorts: readonly number[];
}

export function fuzzDatagram(rand: () => number, options: FuzzOptions): { kind: FuzzKind; data: Uint8Array } {
  const int = (n: number) => Math.floor(rand() * n);
  const bytes = (n: number) => {
    const b = new Uint8Array(n);
    for (let i = 0; i < n; i++) b[i] = int(256);
    return b;
  };
  let pick = int(TOTAL);
  let kind: FuzzKind = 'random';
  for (const [k, w] of KINDS) {
    if (pick < w) {
      kind = k;
      break;
    }
    pick -= w;
  }
  const binding = () => new StunMessageBuilder('request', StunMethod.Binding);
  const fp = () => rand() < 0.3;
  const someAttributes = (b: StunMessageBuilder, max: number) => {
    for (let i = int(max + 1); i > 0; i--) {
      const type = rand() < 0.5 ? KNOWN_TYPES[int(KNOWN_TYPES.length)]! : int(0x10000);
      if (type === AttributeType.MESSAGE_INTEGRITY || type === AttributeType.FINGERPRINT) continue;
      b.addRaw(type, bytes(int(rand() < 0.9 ? 16 : 300)));
    }
    return b;
  };
  switch (kind) {
    case 'random':
      return { kind, data: bytes(int(rand() < 0.9 ? 64 : 600)) };
    case 'mutated':
      return { kind, data: someAttributes(binding(), 6).build({ fingerprint: fp() }) };
    case 'response-port-0':
      return {
        kind,
        data: someAttributes(binding().add('RESPONSE_PORT', 0), 1).build({ fingerprint: fp() }),
      };
    case 'response-port': {
      const b = binding().add('RESPONSE_PORT', options.responsePorts[int(options.responsePorts.length)] ?? 9);
      if (rand() < 0.3) b.add('PADDING', bytes(int(200)));
      return { kind, data: b.build({ fingerprint: fp() }) };
    }
    case 'unknown-list': {
      const b = binding();
      const n = 50 + int(rand() < 0.8 ? 200 : 2000);
      for (let i = 0; i < n; i++) b.addRaw(0x4000 + int(0x3000), new Uint8Array(rand() < 0.9 ? 0 : 4));
      return { kind, data: b.build() };
    }
    case 'change-request': {
      const b = binding().add('CHANGE_REQUEST', { changeIp: rand() < 0.5, changePort: rand() < 0.5 });
      return { kind, data: someAttributes(b, 1).build({ fingerprint: fp() }) };
    }
    case 'padding':
      return {
        kind,
        data: binding()
          .add('PADDING', bytes(int(1500)))
          .build({ fingerprint: fp() }),
      };
    case 'truncated': {
      const full = someAttributes(binding(), 4).build({ fingerprint: fp() });
      if (rand() < 0.5) return { kind, data: full.subarray(0, int(full.length)) };
      const lying = full.slice();
      lying[2] = int(256);
      lying[3] = int(256);
      return { kind, data: lying };
    }
    case 'bit-flip': {
      const m = someAttributes(binding(), 3).build({ fingerprint: fp() });
      for (let i = 1 + int(4); i > 0; i--) m[int(m.length)]! ^= 1 << int(8);
      return { kind, data: m };
    }
    case 'classic': {
      const m = someAttributes(binding(), 2).build();
      m.set(bytes(4), 4);
      return { kind, data: m };
    }
    case 'other-method': {
      const method = int(0x1000);
      const cls = (['request', 'indication', 'success', 'error'] as const)[int(4)]!;
      return {
        kind,
        data: someAttributes(new StunMessageBuilder(cls, method), 3).build({ fingerprint: fp() }),
      };
    }
  }
}
