import fc from 'fast-check';
import { expect, test } from 'vitest';
import { decodeStunMessage, StunMessageBuilder, StunMethod, type TransportAddress } from '../codec/index.js';
import { StunStreamFramer } from '../transaction/stream-framing.js';
import { StunBindingServer } from './binding-server.js';

const primary: TransportAddress = { family: 'IPv4', address: '192.0.2.10', port: 3478 };
const alternate: TransportAddress = { family: 'IPv4', address: '192.0.2.11', port: 3479 };
const client: TransportAddress = { family: 'IPv4', address: '198.51.100.7', port: 40000 };

test('arbitrary bytes never make the server throw, and every answer is a decodable response', () => {
  const server = new StunBindingServer({ primary, alternate });
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
      server.handleInput(bytes, client, primary);
      for (let t = server.pollTransmit(); t; t = server.pollTransmit()) {
        const m = decodeStunMessage(t.data);
        expect(m.class === 'success' || m.class === 'error').toBe(true);
        if (m.class === 'error') expect(t.data.length).toBeLessThanOrEqual(bytes.length);
      }
    }),
    { seed: 5780, numRuns: 2000 },
  );
});

test('a valid request with arbitrary attributes appended gets at most one answer, no larger than it unless a success', () => {
  const server = new StunBindingServer({ primary, alternate });
  const attribute = fc.record({
    type: fc.integer({ min: 0, max: 0xffff }),
    value: fc.uint8Array({ maxLength: 24 }),
  });
  fc.assert(
    fc.property(fc.array(attribute, { maxLength: 4 }), (attributes) => {
      const b = new StunMessageBuilder('request', StunMethod.Binding);
      // MESSAGE-INTEGRITY and FINGERPRINT must be last: leave them to the builder.
      for (const a of attributes) if (![0x0008, 0x001c, 0x8028].includes(a.type)) b.addRaw(a.type, a.value);
      const request = b.build();
      const answered = server.handleInput(request, client, primary);
      const t = server.pollTransmit();
      expect(t !== undefined).toBe(answered);
      if (t !== undefined && decodeStunMessage(t.data).class !== 'success')
        expect(t.data.length).toBeLessThanOrEqual(request.length);
      expect(server.pollTransmit()).toBeUndefined();
      expect(answered || server.stats.withheld > 0).toBe(true);
    }),
    { seed: 8489, numRuns: 1000 },
  );
});

test('the stream framer never throws and never returns more bytes than it was given', () => {
  fc.assert(
    fc.property(fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 10 }), (chunks) => {
      const f = new StunStreamFramer();
      let given = 0;
      let out = 0;
      for (const c of chunks) {
        given += c.length;
        for (const m of f.push(c)) out += m.length;
      }
      expect(out + f.pending).toBeLessThanOrEqual(given);
    }),
    { seed: 6656, numRuns: 1000 },
  );
});
