// enlargeSocketBuffers: the one socket-buffer helper (udpTransport and p2pcat's endpoint use it).
import { createSocket } from 'node:dgram';
import { describe, expect, it } from 'vitest';
import { enlargeSocketBuffers } from './transport.js';

describe('enlargeSocketBuffers', () => {
  it('grows the buffers of a bound socket beyond the default (up to the kernel limit), never lowers them', async () => {
    const s = createSocket('udp4');
    await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
    const before = s.getRecvBufferSize();
    expect(enlargeSocketBuffers(s)).toBeUndefined();
    const after = s.getRecvBufferSize();
    expect(after).toBeGreaterThanOrEqual(before);
    expect(enlargeSocketBuffers(s, 1024)).toBeUndefined();
    expect(s.getRecvBufferSize()).toBe(after);
    s.close();
  });

  it('an unbound socket keeps its sizes and the error is returned, not thrown', () => {
    const s = createSocket('udp4');
    const error = enlargeSocketBuffers(s);
    expect(error).toBeInstanceOf(Error);
    s.close();
  });
});
