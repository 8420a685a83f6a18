// A minimal STUN Binding client (RFC 8489 header by hand) run inside a lab namespace by the e2e tests.
// usage: node stun-probe.mjs '<json: { requests: [{ host, port, change?: 0|2|4|6 }], hairpin?: boolean }>'
// prints JSON: { local, results: [{ host, port, change, mapped, from }], hairpin }
import { randomBytes } from 'node:crypto';
import dgram from 'node:dgram';

const MAGIC = 0x2112a442;
const spec = JSON.parse(process.argv[2] ?? '{}');
const sock = dgram.createSocket('udp4');
const pending = new Map();
let hairpinToken;
let hairpinResolve;

function request(change) {
  const tid = randomBytes(12);
  const attrs = change ? 8 : 0;
  const b = Buffer.alloc(20 + attrs);
  b.writeUInt16BE(0x0001, 0); // Binding request
  b.writeUInt16BE(attrs, 2);
  b.writeUInt32BE(MAGIC, 4);
  tid.copy(b, 8);
  if (change) {
    b.writeUInt16BE(0x0003, 20); // CHANGE-REQUEST (RFC 5780 §7.2)
    b.writeUInt16BE(4, 22);
    b.writeUInt32BE(change, 24);
  }
  return { tid: tid.toString('hex'), b };
}

function parseMapped(m) {
  let off = 20;
  const end = 20 + m.readUInt16BE(2);
  while (off + 4 <= end) {
    const type = m.readUInt16BE(off);
    const len = m.readUInt16BE(off + 2);
    if (type === 0x0020 && len >= 8) {
      const port = m.readUInt16BE(off + 6) ^ (MAGIC >>> 16);
      const a = m.readUInt32BE(off + 8) ^ MAGIC;
      return `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}:${port}`;
    }
    off += 4 + ((len + 3) & ~3);
  }
  return null;
}

sock.on('message', (m, rinfo) => {
  if (hairpinToken && m.toString() === hairpinToken)
    return hairpinResolve?.(`${rinfo.address}:${rinfo.port}`);
  if (m.length < 20 || m.readUInt32BE(4) !== MAGIC) return;
  const p = pending.get(m.subarray(8, 20).toString('hex'));
  p?.(parseMapped(m), `${rinfo.address}:${rinfo.port}`);
});

function ask(r) {
  return new Promise((resolve) => {
    const { tid, b } = request(r.change ?? 0);
    let tries = 0;
    const send = () => sock.send(b, r.port, r.host);
    const timer = setInterval(() => (++tries < 4 ? send() : finish(null, null)), 250);
    const finish = (mapped, from) => {
      clearInterval(timer);
      pending.delete(tid);
      resolve({ ...r, change: r.change ?? 0, mapped, from });
    };
    pending.set(tid, finish);
    send();
  });
}

await new Promise((r) => sock.bind(spec.localPort ?? 0, r));
const results = [];
for (const r of spec.requests ?? []) results.push(await ask(r));
let hairpin = null;
const mapped = results.find((r) => r.mapped)?.mapped;
if (spec.hairpin && mapped) {
  const [host, port] = mapped.split(':');
  hairpinToken = `hairpin-${randomBytes(4).toString('hex')}`;
  hairpin = await new Promise((resolve) => {
    const timers = [0, 200, 400].map((t) => setTimeout(() => sock.send(hairpinToken, Number(port), host), t));
    timers.push(setTimeout(() => hairpinResolve(null), 1000));
    hairpinResolve = (v) => {
      for (const t of timers) clearTimeout(t);
      resolve(v);
    };
  });
}
console.log(JSON.stringify({ local: sock.address().port, results, hairpin }));
sock.close();
