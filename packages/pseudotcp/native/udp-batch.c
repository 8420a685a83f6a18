// Batched UDP system calls for @p2pcat/pseudotcp's Node transport (issue 18): sendmmsg(2) of many
// datagrams to one address, and a non-blocking recvmmsg(2) drain of a socket's queue into one
// caller-owned buffer. Linux only. Node-API (ABI-stable): one build serves every Node version.
// The JavaScript side owns the socket (a node:dgram socket whose fd it passes in); this file never
// blocks, never keeps state between calls and never closes anything.
#define _GNU_SOURCE
#define NAPI_VERSION 8
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <netinet/in.h>
#include <pthread.h>
#include <node_api.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_BATCH 64

static napi_value number(napi_env env, double v) {
  napi_value out;
  napi_create_double(env, v, &out);
  return out;
}

static int bytes_of(napi_env env, napi_value v, void **data, size_t *len) {
  bool is;
  if (napi_is_typedarray(env, v, &is) == napi_ok && is) {
    napi_typedarray_type type;
    size_t length;
    napi_value ab;
    size_t offset;
    if (napi_get_typedarray_info(env, v, &type, &length, data, &ab, &offset) != napi_ok) return -1;
    if (type != napi_uint8_array) return -1;
    *len = length;
    return 0;
  }
  return -1;
}

static int int_of(napi_env env, napi_value v, int32_t *out) {
  return napi_get_value_int32(env, v, out) == napi_ok ? 0 : -1;
}

// sockaddr(ip: string, port: number, ipv6Socket: boolean): Uint8Array | null
// The destination as the kernel wants it: sockaddr_in, or sockaddr_in6 for an AF_INET6 socket (an
// IPv4 address then becomes the IPv4-mapped ::ffff:a.b.c.d, as libuv does). null: not an IP literal.
static napi_value js_sockaddr(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3], result;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  char ip[64];
  size_t iplen;
  int32_t port;
  bool v6;
  napi_get_null(env, &result);
  if (argc < 3 || napi_get_value_string_utf8(env, argv[0], ip, sizeof ip, &iplen) != napi_ok ||
      int_of(env, argv[1], &port) || napi_get_value_bool(env, argv[2], &v6) != napi_ok || port < 0 ||
      port > 65535)
    return result;
  struct sockaddr_in6 a6;
  struct sockaddr_in a4;
  memset(&a6, 0, sizeof a6);
  memset(&a4, 0, sizeof a4);
  void *out;
  size_t outlen;
  if (inet_pton(AF_INET, ip, &a4.sin_addr) == 1) {
    if (v6) {
      a6.sin6_family = AF_INET6;
      a6.sin6_port = htons((uint16_t)port);
      a6.sin6_addr.s6_addr[10] = 0xff;
      a6.sin6_addr.s6_addr[11] = 0xff;
      memcpy(&a6.sin6_addr.s6_addr[12], &a4.sin_addr, 4);
      out = &a6;
      outlen = sizeof a6;
    } else {
      a4.sin_family = AF_INET;
      a4.sin_port = htons((uint16_t)port);
      out = &a4;
      outlen = sizeof a4;
    }
  } else if (v6 && inet_pton(AF_INET6, ip, &a6.sin6_addr) == 1) {
    a6.sin6_family = AF_INET6;
    a6.sin6_port = htons((uint16_t)port);
    out = &a6;
    outlen = sizeof a6;
  } else {
    return result; // a name, a scoped address, or IPv6 on an IPv4 socket: the caller keeps node:dgram
  }
  napi_value ab;
  void *data;
  if (napi_create_arraybuffer(env, outlen, &data, &ab) != napi_ok) return result;
  memcpy(data, out, outlen);
  napi_create_typedarray(env, napi_uint8_array, outlen, ab, 0, &result);
  return result;
}

// UDP generic segmentation offload (Linux >= 4.18): one message carrying several datagrams of one
// size (the last may be shorter), cut into separate datagrams by the kernel, after the IP layer
// has been crossed once instead of once per datagram. On the wire they are ordinary datagrams.
// Turned off for the process the first time the kernel refuses it.
#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif
#ifndef SOL_UDP
#define SOL_UDP 17
#endif
#define GSO_MAX_SEGMENTS 64   // UDP_MAX_SEGMENTS of the kernel (64 up to Linux 6.x's 128)
#define GSO_MAX_BYTES 65000   // under the 64 KiB an IP packet can hold, headers included
#define MAX_IOV 256
static int gso_enabled = 1;

// sendmmsg(fd, sockaddr, datagrams: Uint8Array[], start, count, segment?: boolean): number
// Sends datagrams[start..start + count) to sockaddr in as few system calls as the kernel allows,
// runs of equal-sized datagrams as one segmented message each (unless `segment` is false: one
// datagram per message). Returns how many datagrams were sent (the first ones), or -errno when
// none could be.
static napi_value js_sendmmsg(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t fd, start, count;
  void *addr;
  size_t addrlen;
  if (argc < 5 || int_of(env, argv[0], &fd) || bytes_of(env, argv[1], &addr, &addrlen) ||
      int_of(env, argv[3], &start) || int_of(env, argv[4], &count) || start < 0 || count < 0)
    return number(env, -EINVAL);
  bool segment = true;
  if (argc >= 6) {
    napi_valuetype t;
    if (napi_typeof(env, argv[5], &t) == napi_ok && t == napi_boolean) napi_get_value_bool(env, argv[5], &segment);
  }
  struct mmsghdr msgs[MAX_BATCH];
  struct iovec iov[MAX_IOV];
  int per_msg[MAX_BATCH]; // datagrams carried by each message
  union {
    char buf[CMSG_SPACE(sizeof(uint16_t))];
    struct cmsghdr align;
  } control[MAX_BATCH];
  int sent = 0;
  while (sent < count) {
    // Fetch up to MAX_IOV datagrams, then pack them into messages.
    int n = count - sent < MAX_IOV ? count - sent : MAX_IOV;
    for (int i = 0; i < n; i++) {
      napi_value d;
      void *data;
      size_t len;
      if (napi_get_element(env, argv[2], (uint32_t)(start + sent + i), &d) != napi_ok ||
          bytes_of(env, d, &data, &len))
        return number(env, sent > 0 ? sent : -EINVAL);
      iov[i].iov_base = data;
      iov[i].iov_len = len;
    }
    int m = 0, at = 0;
    while (at < n && m < MAX_BATCH) {
      size_t size = iov[at].iov_len;
      int k = 1;
      size_t total = size;
      if (gso_enabled && segment && size > 0) {
        // Equal sizes, then at most one shorter datagram to end the run.
        while (at + k < n && k < GSO_MAX_SEGMENTS && total + iov[at + k].iov_len <= GSO_MAX_BYTES &&
               iov[at + k].iov_len <= size && iov[at + k].iov_len > 0) {
          total += iov[at + k].iov_len;
          k++;
          if (iov[at + k - 1].iov_len < size) break;
        }
      }
      struct msghdr *h = &msgs[m].msg_hdr;
      memset(h, 0, sizeof *h);
      h->msg_name = addr;
      h->msg_namelen = (socklen_t)addrlen;
      h->msg_iov = &iov[at];
      h->msg_iovlen = (size_t)k;
      if (k > 1) {
        memset(&control[m], 0, sizeof control[m]);
        h->msg_control = control[m].buf;
        h->msg_controllen = sizeof control[m].buf;
        struct cmsghdr *c = CMSG_FIRSTHDR(h);
        c->cmsg_level = SOL_UDP;
        c->cmsg_type = UDP_SEGMENT;
        c->cmsg_len = CMSG_LEN(sizeof(uint16_t));
        uint16_t gso = (uint16_t)size;
        memcpy(CMSG_DATA(c), &gso, sizeof gso);
      }
      per_msg[m++] = k;
      at += k;
    }
    int r;
    do r = sendmmsg(fd, msgs, (unsigned)m, MSG_DONTWAIT);
    while (r < 0 && errno == EINTR);
    if (r < 0 && per_msg[0] > 1 && (errno == EIO || errno == EINVAL || errno == ENOPROTOOPT || errno == EOPNOTSUPP)) {
      gso_enabled = 0; // this kernel or device cannot segment: one datagram per message from now on
      continue;
    }
    if (r < 0) return number(env, sent > 0 ? sent : -errno);
    int done = 0;
    for (int i = 0; i < r; i++) done += per_msg[i];
    sent += done;
    if (r < m) break; // the kernel stopped early (e.g. the socket buffer is full): the caller decides
  }
  return number(env, sent);
}

// gso(on?): whether sends use segmentation offload; `false` turns it off for the process (tests).
static napi_value js_gso(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  bool on;
  if (argc >= 1 && napi_get_value_bool(env, argv[0], &on) == napi_ok) gso_enabled = on;
  napi_value out;
  napi_get_boolean(env, gso_enabled, &out);
  return out;
}

static int same_peer(const struct sockaddr_storage *got, const void *want, size_t wantlen) {
  const struct sockaddr *w = want;
  if (wantlen < sizeof(sa_family_t) || got->ss_family != w->sa_family) return 0;
  if (w->sa_family == AF_INET && wantlen >= sizeof(struct sockaddr_in)) {
    const struct sockaddr_in *a = (const void *)got, *b = want;
    return a->sin_port == b->sin_port && a->sin_addr.s_addr == b->sin_addr.s_addr;
  }
  if (w->sa_family == AF_INET6 && wantlen >= sizeof(struct sockaddr_in6)) {
    const struct sockaddr_in6 *a = (const void *)got, *b = want;
    return a->sin6_port == b->sin6_port && memcmp(&a->sin6_addr, &b->sin6_addr, 16) == 0;
  }
  return 0;
}

#ifndef UDP_GRO
#define UDP_GRO 104
#endif

// recvmmsg(fd, slab, slotSize, max, expected, lengths: Int32Array, sources: Uint8Array,
//          segments?: Int32Array): number
// Reads up to `max` messages waiting on the socket without blocking, the i-th into
// slab[i * slotSize ..]. lengths[i] is its length when it came from `expected` (a sockaddr), or
// -1 - length when it came from another address, whose sockaddr is then copied to
// sources[i * 32 ..] (read it with peer()). With UDP_GRO on the socket (gro()), a message may
// carry several datagrams of one size (the last may be shorter), coalesced by the kernel:
// segments[i] is then that size, else 0. Returns how many messages were read: 0 when the queue
// is empty, -errno on an error.
static napi_value js_recvmmsg(napi_env env, napi_callback_info info) {
  size_t argc = 8;
  napi_value argv[8];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t fd, slot, max;
  void *slab, *expected, *lengths_data, *sources;
  size_t slablen, expectedlen, sourceslen;
  napi_typedarray_type ltype;
  size_t lcount;
  napi_value lab;
  size_t loff;
  if (argc < 7 || int_of(env, argv[0], &fd) || bytes_of(env, argv[1], &slab, &slablen) ||
      int_of(env, argv[2], &slot) || int_of(env, argv[3], &max) ||
      bytes_of(env, argv[4], &expected, &expectedlen) ||
      napi_get_typedarray_info(env, argv[5], &ltype, &lcount, &lengths_data, &lab, &loff) != napi_ok ||
      ltype != napi_int32_array || bytes_of(env, argv[6], &sources, &sourceslen))
    return number(env, -EINVAL);
  int32_t *segments = NULL;
  if (argc >= 8) {
    napi_valuetype t;
    napi_typeof(env, argv[7], &t);
    if (t != napi_undefined) {
      void *sd;
      napi_typedarray_type stype;
      size_t scount;
      napi_value sab;
      size_t soff;
      if (napi_get_typedarray_info(env, argv[7], &stype, &scount, &sd, &sab, &soff) != napi_ok ||
          stype != napi_int32_array)
        return number(env, -EINVAL);
      if (max > (int32_t)scount) max = (int32_t)scount;
      segments = sd;
    }
  }
  if (max > MAX_BATCH) max = MAX_BATCH;
  if (slot <= 0 || max <= 0 || (size_t)max * (size_t)slot > slablen || (size_t)max > lcount ||
      (size_t)max * 32 > sourceslen)
    return number(env, -EINVAL);
  struct mmsghdr msgs[MAX_BATCH];
  struct iovec iov[MAX_BATCH];
  struct sockaddr_storage from[MAX_BATCH];
  union {
    char buf[CMSG_SPACE(sizeof(int))];
    struct cmsghdr align;
  } control[MAX_BATCH];
  for (int i = 0; i < max; i++) {
    iov[i].iov_base = (char *)slab + (size_t)i * (size_t)slot;
    iov[i].iov_len = (size_t)slot;
    memset(&msgs[i].msg_hdr, 0, sizeof msgs[i].msg_hdr);
    msgs[i].msg_hdr.msg_name = &from[i];
    msgs[i].msg_hdr.msg_namelen = sizeof from[i];
    msgs[i].msg_hdr.msg_iov = &iov[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
    if (segments != NULL) {
      msgs[i].msg_hdr.msg_control = control[i].buf;
      msgs[i].msg_hdr.msg_controllen = sizeof control[i].buf;
    }
  }
  int r;
  do r = recvmmsg(fd, msgs, (unsigned)max, MSG_DONTWAIT, NULL);
  while (r < 0 && errno == EINTR);
  if (r < 0) return number(env, errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -errno);
  int32_t *lengths = lengths_data;
  for (int i = 0; i < r; i++) {
    int32_t len = (int32_t)msgs[i].msg_len;
    if (segments != NULL) {
      segments[i] = 0;
      for (struct cmsghdr *c = CMSG_FIRSTHDR(&msgs[i].msg_hdr); c != NULL; c = CMSG_NXTHDR(&msgs[i].msg_hdr, c)) {
        if (c->cmsg_level == SOL_UDP && c->cmsg_type == UDP_GRO && c->cmsg_len >= CMSG_LEN(sizeof(int))) {
          int size;
          memcpy(&size, CMSG_DATA(c), sizeof size);
          if (size > 0 && size < len) segments[i] = size;
        }
      }
    }
    // A datagram larger than a slot was cut short, or (GRO) the segment size did not fit in the
    // control buffer: never handed on as if whole.
    if ((msgs[i].msg_hdr.msg_flags & MSG_TRUNC) || (segments != NULL && (msgs[i].msg_hdr.msg_flags & MSG_CTRUNC))) {
      lengths[i] = -1 - len;
      memset((char *)sources + i * 32, 0, 32);
    } else if (same_peer(&from[i], expected, expectedlen)) {
      lengths[i] = len;
    } else {
      lengths[i] = -1 - len;
      size_t n = msgs[i].msg_hdr.msg_namelen < 32 ? msgs[i].msg_hdr.msg_namelen : 32;
      memset((char *)sources + i * 32, 0, 32);
      memcpy((char *)sources + i * 32, &from[i], n);
    }
  }
  return number(env, r);
}

// peer(sources, index): [address, port, family] | null, the sender of a datagram recvmmsg() set
// aside as foreign (null when it was cut short or its family is unknown).
static napi_value js_peer(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2], result;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  napi_get_null(env, &result);
  void *sources;
  size_t len;
  int32_t index;
  if (argc < 2 || bytes_of(env, argv[0], &sources, &len) || int_of(env, argv[1], &index) || index < 0 ||
      (size_t)(index + 1) * 32 > len)
    return result;
  struct sockaddr_storage ss;
  memset(&ss, 0, sizeof ss);
  memcpy(&ss, (char *)sources + index * 32, 32);
  char text[INET6_ADDRSTRLEN];
  int port;
  const char *family;
  if (ss.ss_family == AF_INET) {
    struct sockaddr_in *a = (void *)&ss;
    if (!inet_ntop(AF_INET, &a->sin_addr, text, sizeof text)) return result;
    port = ntohs(a->sin_port);
    family = "IPv4";
  } else if (ss.ss_family == AF_INET6) {
    struct sockaddr_in6 *a = (void *)&ss;
    if (!inet_ntop(AF_INET6, &a->sin6_addr, text, sizeof text)) return result;
    port = ntohs(a->sin6_port);
    family = "IPv6";
  } else {
    return result;
  }
  napi_value v;
  napi_create_array_with_length(env, 3, &result);
  napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &v);
  napi_set_element(env, result, 0, v);
  napi_set_element(env, result, 1, number(env, port));
  napi_create_string_utf8(env, family, NAPI_AUTO_LENGTH, &v);
  napi_set_element(env, result, 2, v);
  return result;
}

// gro(fd, on): turns UDP generic receive offload on or off for the socket (Linux >= 5.0): the
// kernel may then hand over several datagrams of one flow in one message, which only a reader
// that asks for the segment size (recvmmsg with `segments`) can cut apart again. 0 or -errno.
static napi_value js_gro(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t fd;
  bool on;
  if (argc < 2 || int_of(env, argv[0], &fd) || napi_get_value_bool(env, argv[1], &on) != napi_ok)
    return number(env, -EINVAL);
  int v = on ? 1 : 0;
  return number(env, setsockopt(fd, SOL_UDP, UDP_GRO, &v, sizeof v) == 0 ? 0 : -errno);
}

// Readiness of a socket, from Node's own event loop (libuv). A socket read with GRO must never be
// read by node:dgram (it would take several coalesced datagrams for one), so the JavaScript side
// stops node:dgram's reading and watches a duplicate of the fd here instead; the callback then
// drains the socket with recvmmsg. Only the stable libuv 1.x ABI that Node exports to addons is
// used, declared here so that the build needs no libuv headers: a handle begins with its `data`
// pointer, and uv_handle_size() gives its size.
typedef struct uv_loop_s uv_loop_t;
typedef struct uv_poll_s uv_poll_t;
typedef struct uv_handle_s uv_handle_t;
typedef void (*uv_poll_cb)(uv_poll_t *handle, int status, int events);
typedef void (*uv_close_cb)(uv_handle_t *handle);
extern size_t uv_handle_size(int type);
extern int uv_poll_init(uv_loop_t *loop, uv_poll_t *handle, int fd);
extern int uv_poll_start(uv_poll_t *handle, int events, uv_poll_cb cb);
extern int uv_poll_stop(uv_poll_t *handle);
extern void uv_close(uv_handle_t *handle, uv_close_cb cb);
extern void uv_ref(uv_handle_t *handle);
extern void uv_unref(uv_handle_t *handle);
#define UV_POLL_TYPE 8 /* UV_POLL in uv_handle_type */
#define UV_READABLE_EVENT 1

typedef struct {
  void *data; /* the handle's own first field, set to the watch */
} handle_head;

typedef struct {
  napi_env env;
  napi_ref callback;
  napi_async_context context;
  uv_poll_t *poll;
  int fd; /* the duplicate, closed with the watch */
} watch_t;

static void on_poll_closed(uv_handle_t *handle) {
  free(handle);
}

static void on_readable(uv_poll_t *handle, int status, int events) {
  watch_t *w = ((handle_head *)handle)->data;
  if (w == NULL) return;
  napi_env env = w->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  napi_value cb, recv, result;
  if (napi_get_reference_value(env, w->callback, &cb) == napi_ok && cb != NULL) {
    napi_get_global(env, &recv); // napi_make_callback wants an object as `this`
    // Through napi_make_callback, as Node calls its own I/O callbacks: async hooks see it, and
    // process.nextTick callbacks and microtasks run when it returns.
    if (napi_make_callback(env, w->context, recv, cb, 0, NULL, &result) == napi_pending_exception) {
      napi_value error;
      napi_get_and_clear_last_exception(env, &error);
      napi_fatal_exception(env, error); // 'uncaughtException', as for any I/O callback
    }
  }
  napi_close_handle_scope(env, scope);
}

static void watch_end(napi_env env, watch_t *w) {
  if (w->poll != NULL) {
    uv_poll_stop(w->poll);
    ((handle_head *)w->poll)->data = NULL;
    uv_close((uv_handle_t *)w->poll, on_poll_closed);
    w->poll = NULL;
  }
  if (w->fd >= 0) close(w->fd);
  w->fd = -1;
  if (w->callback != NULL) napi_delete_reference(env, w->callback);
  w->callback = NULL;
  if (w->context != NULL) napi_async_destroy(env, w->context);
  w->context = NULL;
}

static void watch_finalize(napi_env env, void *data, void *hint) {
  (void)hint;
  watch_t *w = data;
  watch_end(env, w);
  free(w);
}

// watch(fd, callback): handle | null. Calls callback() whenever the socket has something to read
// (level-triggered: until it was drained), until unwatch(handle). The watch keeps the event loop
// alive as a receiving node:dgram socket does, until watchRef(handle, false).
static napi_value js_watch(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2], result;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  napi_get_null(env, &result);
  int32_t fd;
  napi_valuetype t;
  if (argc < 2 || int_of(env, argv[0], &fd) || napi_typeof(env, argv[1], &t) != napi_ok || t != napi_function)
    return result;
  uv_loop_t *loop;
  if (napi_get_uv_event_loop(env, (struct uv_loop_s **)&loop) != napi_ok) return result;
  watch_t *w = calloc(1, sizeof *w);
  if (w == NULL) return result;
  w->env = env;
  w->fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
  w->poll = malloc(uv_handle_size(UV_POLL_TYPE));
  napi_value name;
  napi_create_string_utf8(env, "P2PCAT_UDP_GRO", NAPI_AUTO_LENGTH, &name);
  if (w->fd < 0 || w->poll == NULL || napi_create_reference(env, argv[1], 1, &w->callback) != napi_ok ||
      napi_async_init(env, NULL, name, &w->context) != napi_ok || uv_poll_init(loop, w->poll, w->fd) != 0) {
    if (w->poll != NULL) free(w->poll);
    w->poll = NULL;
    watch_end(env, w);
    free(w);
    return result;
  }
  ((handle_head *)w->poll)->data = w;
  if (uv_poll_start(w->poll, UV_READABLE_EVENT, on_readable) != 0) {
    watch_end(env, w);
    free(w);
    return result;
  }
  // The handle is an object whose finalizer ends a watch that was never unwatched.
  if (napi_create_external(env, w, watch_finalize, NULL, &result) != napi_ok) {
    watch_end(env, w);
    free(w);
    napi_get_null(env, &result);
  }
  return result;
}

// unwatch(handle): stops a watch and closes its duplicate fd; further calls do nothing.
static napi_value js_unwatch(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  void *data;
  if (argc >= 1 && napi_get_value_external(env, argv[0], &data) == napi_ok && data != NULL)
    watch_end(env, data);
  napi_value out;
  napi_get_undefined(env, &out);
  return out;
}

// watchRef(handle, on): whether the watch keeps the event loop alive (uv_ref / uv_unref of its
// poll handle, as node:dgram's socket.ref() / unref() do to the socket's own handle). Does
// nothing once the watch has ended.
static napi_value js_watch_ref(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  void *data;
  bool on;
  if (argc >= 2 && napi_get_value_external(env, argv[0], &data) == napi_ok && data != NULL &&
      napi_get_value_bool(env, argv[1], &on) == napi_ok) {
    watch_t *w = data;
    if (w->poll != NULL) {
      if (on)
        uv_ref((uv_handle_t *)w->poll);
      else
        uv_unref((uv_handle_t *)w->poll);
    }
  }
  napi_value out;
  napi_get_undefined(env, &out);
  return out;
}

// Memory for the chunks a stream hands to its reader. Fresh memory costs a page fault per 4 KiB
// on first touch (the receiver's copy into each chunk spent 10-20 % of its CPU in them): the
// blocks of chunks the garbage collector freed are kept here and handed out again, their pages
// still mapped. A chunk is a Buffer over external memory; its block comes back when V8 frees the
// last view of it (Node calls the finalizer on the main thread, later), so a reader may keep a
// chunk, or a slice of it, for as long as it likes.
// Blocks are kept only while some stream may still ask for chunks (chunkUse): when the last one
// is done, the kept blocks are freed, and so is every block that comes back after, so that an idle
// long-lived process does not hold up to 16 MiB until its next transfer.
#define CHUNK_BYTES (256 * 1024)
#define CHUNK_POOL_MAX 64 /* 16 MiB at most kept for reuse */
static void *chunk_pool[CHUNK_POOL_MAX];
static int chunk_pooled = 0;
static int chunk_users = 0; /* streams that may still ask for chunks */
static pthread_mutex_t chunk_lock = PTHREAD_MUTEX_INITIALIZER;

static void chunk_release(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  pthread_mutex_lock(&chunk_lock);
  if (chunk_users > 0 && chunk_pooled < CHUNK_POOL_MAX) {
    chunk_pool[chunk_pooled++] = data;
    data = NULL;
  }
  pthread_mutex_unlock(&chunk_lock);
  free(data);
}

// chunkUse(delta): counts the streams that may ask for chunks (+1 when one starts, -1 when it is
// done; 0 only asks). When the count falls to 0 the kept blocks are freed, and glibc is asked to
// give its free pages back to the system: freed blocks may sit inside its heap, where they stay
// mapped (64 blocks freed without malloc_trim left a process's RSS at 96 MiB; with it, 70 MiB,
// where it was before they were allocated). Returns how many blocks are kept now.
static napi_value js_chunk_use(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t delta = 0;
  if (argc >= 1 && int_of(env, argv[0], &delta)) delta = 0;
  void *drop[CHUNK_POOL_MAX];
  int dropped = 0, kept;
  pthread_mutex_lock(&chunk_lock);
  chunk_users += delta;
  if (chunk_users < 0) chunk_users = 0;
  if (chunk_users == 0 && chunk_pooled > 0) {
    dropped = chunk_pooled;
    memcpy(drop, chunk_pool, sizeof(void *) * (size_t)dropped);
    chunk_pooled = 0;
  }
  kept = chunk_pooled;
  pthread_mutex_unlock(&chunk_lock);
  for (int i = 0; i < dropped; i++) free(drop[i]);
#ifdef __GLIBC__
  if (dropped > 0) malloc_trim(0);
#endif
  return number(env, kept);
}

// chunk(length): a Buffer of `length` (1..chunkBytes) uninitialised bytes in pooled memory, or
// null (then the caller allocates as usual).
static napi_value js_chunk(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], result;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  napi_get_null(env, &result);
  int32_t length;
  if (argc < 1 || int_of(env, argv[0], &length) || length <= 0 || length > CHUNK_BYTES) return result;
  void *block = NULL;
  pthread_mutex_lock(&chunk_lock);
  if (chunk_pooled > 0) block = chunk_pool[--chunk_pooled];
  pthread_mutex_unlock(&chunk_lock);
  if (block == NULL) block = malloc(CHUNK_BYTES);
  if (block == NULL) return result;
  if (napi_create_external_buffer(env, (size_t)length, block, chunk_release, NULL, &result) != napi_ok) {
    chunk_release(env, block, NULL);
    napi_get_null(env, &result);
  }
  return result;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"sockaddr", NULL, js_sockaddr, NULL, NULL, NULL, napi_enumerable, NULL},
      {"sendmmsg", NULL, js_sendmmsg, NULL, NULL, NULL, napi_enumerable, NULL},
      {"recvmmsg", NULL, js_recvmmsg, NULL, NULL, NULL, napi_enumerable, NULL},
      {"peer", NULL, js_peer, NULL, NULL, NULL, napi_enumerable, NULL},
      {"gso", NULL, js_gso, NULL, NULL, NULL, napi_enumerable, NULL},
      {"gro", NULL, js_gro, NULL, NULL, NULL, napi_enumerable, NULL},
      {"watch", NULL, js_watch, NULL, NULL, NULL, napi_enumerable, NULL},
      {"unwatch", NULL, js_unwatch, NULL, NULL, NULL, napi_enumerable, NULL},
      {"watchRef", NULL, js_watch_ref, NULL, NULL, NULL, napi_enumerable, NULL},
      {"chunk", NULL, js_chunk, NULL, NULL, NULL, napi_enumerable, NULL},
      {"chunkUse", NULL, js_chunk_use, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  napi_value max;
  napi_create_int32(env, MAX_BATCH, &max);
  napi_set_named_property(env, exports, "maxBatch", max);
  napi_value chunk_bytes;
  napi_create_int32(env, CHUNK_BYTES, &chunk_bytes);
  napi_set_named_property(env, exports, "chunkBytes", chunk_bytes);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
