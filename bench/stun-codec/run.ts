// STUN codec benchmark: @p2pcat/stun against werift-ice's STUN codec, same machine, same run.
// Run: cd bench/stun-codec && npx tsx run.ts   (build @p2pcat/stun first: npx turbo run build --filter=@p2pcat/stun)
import {
  decodeStunMessage,
  StunMessageBuilder,
  StunMethod,
  shortTermKey,
  verifyFingerprint,
  verifyMessageIntegrity,
} from '@p2pcat/stun';
import { classes, Message, methods, parseMessage } from 'werift-ice';

const PASSWORD = 'VOkJxbRl1RmTxUk/WvJxBt';
const USERNAME = 'evtj:h6vY';
const PRIORITY = 0x6e0001ff;
const TIE_BREAKER = 0x932ff9b151263b36n;
const MAPPED = { family: 'IPv4' as const, address: '192.0.2.1', port: 32853 };

const ourKey = shortTermKey(PASSWORD);
const wKey = Buffer.from(PASSWORD, 'utf8');

// --- the four operations, for each codec ---

function oursEncodeCheck(): Uint8Array {
  return new StunMessageBuilder('request', StunMethod.Binding)
    .add('USERNAME', USERNAME)
    .add('PRIORITY', PRIORITY)
    .add('ICE_CONTROLLING', TIE_BREAKER)
    .add('USE_CANDIDATE', true)
    .build({ integrityKey: ourKey, fingerprint: true });
}

function wEncodeCheck(): Buffer {
  return new Message(methods.BINDING, classes.REQUEST)
    .setAttribute('USERNAME', USERNAME)
    .setAttribute('PRIORITY', PRIORITY)
    .setAttribute('ICE-CONTROLLING', TIE_BREAKER)
    .setAttribute('USE-CANDIDATE', null)
    .addMessageIntegrity(wKey)
    .addFingerprint().bytes;
}

function oursEncodeResponse(tid: Uint8Array): Uint8Array {
  return new StunMessageBuilder('success', StunMethod.Binding, tid)
    .add('XOR_MAPPED_ADDRESS', MAPPED)
    .build({ integrityKey: ourKey, fingerprint: true });
}

function wEncodeResponse(tid: Buffer): Buffer {
  return new Message(methods.BINDING, classes.RESPONSE, tid)
    .setAttribute('XOR-MAPPED-ADDRESS', [MAPPED.address, MAPPED.port])
    .addMessageIntegrity(wKey)
    .addFingerprint().bytes;
}

let sink = 0;

function oursDecodeCheck(raw: Uint8Array): void {
  const m = decodeStunMessage(raw);
  if (!verifyMessageIntegrity(m, ourKey) || !verifyFingerprint(m))
    throw new Error('ours: check does not verify');
  const u = m.get('USERNAME');
  const p = m.get('PRIORITY');
  const c = m.get('ICE_CONTROLLING');
  sink += (u?.length ?? 0) + (p ?? 0) + (c === undefined ? 0 : 1) + (m.has('USE_CANDIDATE') ? 1 : 0);
}

function wDecodeCheck(raw: Buffer): void {
  const m = parseMessage(raw, wKey);
  if (!m) throw new Error('werift: check does not verify');
  const u = m.getAttributeValue('USERNAME') as string;
  const p = m.getAttributeValue('PRIORITY') as number;
  const c = m.getAttributeValue('ICE-CONTROLLING');
  sink += u.length + p + (c === undefined ? 0 : 1) + (m.attributesKeys.includes('USE-CANDIDATE') ? 1 : 0);
}

function oursDecodeResponse(raw: Uint8Array): void {
  const m = decodeStunMessage(raw);
  if (!verifyMessageIntegrity(m, ourKey) || !verifyFingerprint(m))
    throw new Error('ours: response does not verify');
  sink += m.get('XOR_MAPPED_ADDRESS')?.port ?? 0;
}

function wDecodeResponse(raw: Buffer): void {
  const m = parseMessage(raw, wKey);
  if (!m) throw new Error('werift: response does not verify');
  const a = m.getAttributeValue('XOR-MAPPED-ADDRESS') as [string, number];
  sink += a[1];
}

// --- sanity: each codec decodes the other's bytes ---

{
  const a = decodeStunMessage(wEncodeCheck());
  if (
    !verifyMessageIntegrity(a, ourKey) ||
    !verifyFingerprint(a) ||
    a.get('ICE_CONTROLLING') !== TIE_BREAKER
  ) {
    throw new Error('werift-encoded check does not verify with our codec');
  }
  if (!parseMessage(Buffer.from(oursEncodeCheck()), wKey))
    throw new Error('our check does not verify with werift');
  const r = parseMessage(Buffer.from(oursEncodeResponse(new Uint8Array(12))), wKey);
  if (!r || (r.getAttributeValue('XOR-MAPPED-ADDRESS') as [string, number])[0] !== MAPPED.address) {
    throw new Error('our response does not decode with werift');
  }
}

// --- timing ---

function measure(fn: () => void, ms: number): number {
  // Calibrate a batch size so that each timer read covers about 5 ms.
  let batch = 1;
  for (;;) {
    const t0 = performance.now();
    for (let i = 0; i < batch; i++) fn();
    if (performance.now() - t0 > 5) break;
    batch *= 2;
  }
  let ops = 0;
  const start = performance.now();
  let now = start;
  while (now - start < ms) {
    for (let i = 0; i < batch; i++) fn();
    ops += batch;
    now = performance.now();
  }
  return (ops * 1000) / (now - start);
}

const ROUNDS = Number(process.env.ROUNDS ?? 5);
const MS = Number(process.env.MS ?? 400);

const checkOurs = oursEncodeCheck();
const checkW = wEncodeCheck();
const tid = new Uint8Array(12).fill(3);
const respOurs = oursEncodeResponse(tid);
const respW = wEncodeResponse(Buffer.from(tid));

const cases: { name: string; ours: () => void; werift: () => void }[] = [
  {
    name: 'encode ICE check (USERNAME, PRIORITY, ICE-CONTROLLING, USE-CANDIDATE, MI, FP)',
    ours: () => void oursEncodeCheck(),
    werift: () => void wEncodeCheck(),
  },
  {
    name: 'decode+verify ICE check',
    ours: () => oursDecodeCheck(checkOurs),
    werift: () => wDecodeCheck(checkW),
  },
  {
    name: 'encode Binding success (XOR-MAPPED-ADDRESS, MI, FP)',
    ours: () => void oursEncodeResponse(tid),
    werift: () => void wEncodeResponse(Buffer.from(tid)),
  },
  {
    name: 'decode+verify Binding success',
    ours: () => oursDecodeResponse(respOurs),
    werift: () => wDecodeResponse(respW),
  },
];

console.log(
  `STUN codec: @p2pcat/stun vs werift-ice (${ROUNDS} alternating rounds of ${MS} ms each, best round)`,
);
console.log(`node ${process.version}, ${process.platform} ${process.arch}`);
const rows: string[][] = [];
for (const c of cases) {
  let best = { ours: 0, werift: 0 };
  for (let r = 0; r < ROUNDS; r++) {
    best = {
      ours: Math.max(best.ours, measure(c.ours, MS)),
      werift: Math.max(best.werift, measure(c.werift, MS)),
    };
  }
  rows.push([
    c.name,
    Math.round(best.ours).toLocaleString('en-US'),
    Math.round(best.werift).toLocaleString('en-US'),
    `${(best.ours / best.werift).toFixed(2)}x`,
  ]);
}
const header = ['operation', 'ours ops/s', 'werift ops/s', 'ratio'];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
const line = (r: string[]) =>
  r.map((c, i) => (i === 0 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number))).join('  ');
console.log(line(header));
for (const r of rows) console.log(line(r));
if (sink === 42) console.log('');
