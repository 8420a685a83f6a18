import { describe, expect, test } from 'vitest';
import {
  AttributeType,
  decodeStunMessage,
  type StunMessage,
  StunMessageBuilder,
  StunMethod,
  type TransportAddress,
} from '../codec/index.js';
import { type ServerTransmit, StunBindingServer } from './binding-server.js';

const ip1p1: TransportAddress = { family: 'IPv4', address: '192.0.2.10', port: 3478 };
const ip2p2: TransportAddress = { family: 'IPv4', address: '192.0.2.11', port: 3479 };
const client: TransportAddress = { family: 'IPv4', address: '198.51.100.7', port: 40000 };

function answer(server: StunBindingServer): { t: ServerTransmit; m: StunMessage } | undefined {
  const t = server.pollTransmit();
  return t && { t, m: decodeStunMessage(t.data) };
}

function binding(): StunMessageBuilder {
  return new StunMessageBuilder('request', StunMethod.Binding);
}

describe('Binding (RFC 8489)', () => {
  test('answers with XOR-MAPPED-ADDRESS and RESPONSE-ORIGIN, from where the request arrived', () => {
    const s = new StunBindingServer({ primary: ip1p1 });
    const req = binding();
    s.handleInput(req.build(), client, ip1p1);
    const a = answer(s);
    expect(a?.m.class).toBe('success');
    expect(a?.m.transactionId).toEqual(req.transactionId);
    expect(a?.m.get('XOR_MAPPED_ADDRESS')).toEqual(client);
    expect(a?.m.get('RESPONSE_ORIGIN')).toEqual(ip1p1);
    expect(a?.m.has('OTHER_ADDRESS')).toBe(false);
    expect(a?.t.source).toEqual(ip1p1);
    expect(a?.t.destination).toEqual(client);
    expect(s.stats.success).toBe(1);
  });

  test('echoes FINGERPRINT when the request had one; drops a request with a bad one', () => {
    const s = new StunBindingServer({ primary: ip1p1 });
    s.handleInput(binding().build({ fingerprint: true }), client, ip1p1);
    expect(answer(s)?.m.has('FINGERPRINT')).toBe(true);
    const bad = binding().build({ fingerprint: true });
    bad[bad.length - 1]! ^= 0xff;
    s.handleInput(bad, client, ip1p1);
    expect(s.pollTransmit()).toBeUndefined();
  });

  test('an RFC 3489 request gets MAPPED-ADDRESS and its 16-byte transaction id back', () => {
    const s = new StunBindingServer({ primary: ip1p1 });
    const req = binding().build();
    req.set([1, 2, 3, 4], 4); // no magic cookie: classic
    s.handleInput(req, client, ip1p1);
    const t = s.pollTransmit();
    expect(t).toBeDefined();
    expect(t!.data.subarray(4, 20)).toEqual(req.subarray(4, 20));
    const m = decodeStunMessage(t!.data);
    expect(m.get('MAPPED_ADDRESS')).toEqual(client);
  });
});

describe('errors', () => {
  test('400 to a request the codec rejects', () => {
    const s = new StunBindingServer({ primary: ip1p1 });
    const req = binding().add('SOFTWARE', 'x').build();
    req[22] = 0x00;
    req[23] = 0x40; // attribute length runs past the message
    s.handleInput(req, client, ip1p1);
    const a = answer(s);
    expect(a?.m.class).toBe('error');
    expect(a?.m.get('ERROR_CODE')?.code).toBe(400);
    expect(a?.m.transactionId).toEqual(req.subarray(8, 20));
  });

  test('400 to a malformed CHANGE-REQUEST value', () => {
    const s = new StunBindingServer({ primary: ip1p1, alternate: ip2p2 });
    s.handleInput(binding().addRaw(AttributeType.CHANGE_REQUEST, new Uint8Array(2)).build(), client, ip1p1);
    expect(answer(s)?.m.get('ERROR_CODE')?.code).toBe(400);
  });

  test('420 with UNKNOWN-ATTRIBUTES to unknown comprehension-required attributes', () => {
    const s = new StunBindingServer({ primary: ip1p1 });
    s.handleInput(
      binding().addRaw(0x7f01, new Uint8Array(4)).addRaw(0xc001, new Uint8Array(4)).build(),
      client,
      ip1p1,
    );
    const a = answer(s);
    expect(a?.m.get('ERROR_CODE')?.code).toBe(420);
    expect(a?.m.get('UNKNOWN_ATTRIBUTES')).toEqual([0x7f01]);
  });

  test('420 to CHANGE-REQUEST without an alternate address', () => {
    const s = new StunBindingServer({ primary: ip1p1 });
    // With FINGERPRINT the request (36 bytes) has room for the UNKNOWN-ATTRIBUTES list.
    s.handleInput(
      binding().add('CHANGE_REQUEST', { changeIp: true, changePort: false }).build({ fingerprint: true }),
      client,
      ip1p1,
    );
    const a = answer(s);
    expect(a?.m.get('ERROR_CODE')?.code).toBe(420);
    expect(a?.m.get('UNKNOWN_ATTRIBUTES')).toEqual([AttributeType.CHANGE_REQUEST]);
  });

  test('400 to another method', () => {
    const s = new StunBindingServer({ primary: ip1p1 });
    s.handleInput(
      new StunMessageBuilder('request', StunMethod.Allocate).add('SOFTWARE', 'x').build(),
      client,
      ip1p1,
    );
    expect(answer(s)?.m.get('ERROR_CODE')?.code).toBe(400);
  });

  test('never answers responses, indications or non-STUN', () => {
    const s = new StunBindingServer({ primary: ip1p1 });
    s.handleInput(new StunMessageBuilder('indication', StunMethod.Binding).build(), client, ip1p1);
    s.handleInput(new StunMessageBuilder('success', StunMethod.Binding).build(), client, ip1p1);
    s.handleInput(new StunMessageBuilder('error', StunMethod.Binding).build(), client, ip1p1);
    s.handleInput(
      new Uint8Array([0x80, 0x60, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
      client,
      ip1p1,
    );
    s.handleInput(new Uint8Array([0, 1, 0]), client, ip1p1);
    const broken = new StunMessageBuilder('success', StunMethod.Binding).add('SOFTWARE', 'x').build();
    broken[23] = 0x40;
    s.handleInput(broken, client, ip1p1);
    expect(s.pollTransmit()).toBeUndefined();
    expect(s.stats.dropped).toBe(6);
  });
});

describe('RFC 5780', () => {
  const s = new StunBindingServer({ primary: ip1p1, alternate: ip2p2 });

  test('four local addresses', () => {
    expect(s.localAddresses).toEqual([ip1p1, { ...ip1p1, port: 3479 }, { ...ip2p2, port: 3478 }, ip2p2]);
  });

  test.each([
    [false, false, ip1p1],
    [true, false, { ...ip2p2, port: 3478 }],
    [false, true, { ...ip1p1, port: 3479 }],
    [true, true, ip2p2],
  ])('CHANGE-REQUEST ip=%s port=%s is answered from the right address', (changeIp, changePort, from) => {
    s.handleInput(binding().add('CHANGE_REQUEST', { changeIp, changePort }).build(), client, ip1p1);
    const a = answer(s);
    expect(a?.t.source).toEqual(from);
    expect(a?.m.get('RESPONSE_ORIGIN')).toEqual(from);
    expect(a?.m.get('OTHER_ADDRESS')).toEqual(ip2p2);
  });

  test('OTHER-ADDRESS is relative to the address the request arrived on', () => {
    s.handleInput(binding().build(), client, ip2p2);
    expect(answer(s)?.m.get('OTHER_ADDRESS')).toEqual(ip1p1);
    s.handleInput(binding().add('CHANGE_REQUEST', { changeIp: true, changePort: false }).build(), client, {
      ...ip1p1,
      port: 3479,
    });
    expect(answer(s)?.t.source).toEqual(ip2p2);
  });

  test('RESPONSE-PORT sends the answer to that port', () => {
    s.handleInput(binding().add('RESPONSE_PORT', 5555).build(), client, ip1p1);
    expect(answer(s)?.t.destination).toEqual({ ...client, port: 5555 });
  });

  test('CHANGE-REQUEST over TCP is a 400', () => {
    s.handleInput(
      binding().add('CHANGE_REQUEST', { changeIp: true, changePort: true }).build(),
      client,
      ip1p1,
      'tcp',
    );
    expect(answer(s)?.m.get('ERROR_CODE')?.code).toBe(400);
  });

  test('the alternate address must differ in IP and port', () => {
    expect(() => new StunBindingServer({ primary: ip1p1, alternate: { ...ip2p2, port: 3478 } })).toThrow(
      /both IP and port/,
    );
  });
});
