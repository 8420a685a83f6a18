// nfq-delay: hold every packet of an NFQUEUE for a fixed delay, then accept it; optionally hold a
// seeded random fraction of packets longer, so that later packets overtake them (reordering).
// Usage: nfq-delay [-r REORDER_PCT] [-e EXTRA_MS] [-s SEED] QUEUE_NUM DELAY_MS [LABEL]
//   LABEL is ignored: it names the lab in `ps`.
//   -r: percent of packets (0..100, 0.01 steps) held EXTRA_MS longer than DELAY_MS (default 0)
//   -e: the extra hold of those packets, ms (default 10)
//   -s: seed of the PRNG that picks them, in arrival order (default 1): the same seed and the
//       same sequence of arriving packets pick the same packets.
// Packets are released in order of their due time. The extra hold is one constant, so two FIFO
// queues (normal, held longer) are each sorted by due time already; the release merges their heads.
// Prints "ready" on stdout once bound to the queue; runs until killed.
// Used by @p2pcat/natlab because the kernel here has no netem.
#include <errno.h>
#include <arpa/inet.h>
#include <linux/netfilter.h>
#include <libnetfilter_queue/libnetfilter_queue.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define RING 262144u

struct fifo {
  uint32_t ids[RING];
  uint64_t due[RING];
  unsigned head, tail; // head: next to release; tail: next free
};

static struct fifo normal, held; // held: the packets picked for reordering
static uint64_t delay_ns, extra_ns;
static uint32_t reorder_threshold; // of 10000
static uint64_t rng_state;
static unsigned long overflow;

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

// splitmix64: small, seedable, good enough to pick packets.
static uint64_t next_random(void) {
  uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

static int fifo_push(struct fifo *q, uint32_t id, uint64_t due) {
  if (q->tail - q->head >= RING) return -1;
  q->ids[q->tail % RING] = id;
  q->due[q->tail % RING] = due;
  q->tail++;
  return 0;
}

static int fifo_empty(const struct fifo *q) { return q->head == q->tail; }
static uint64_t fifo_due(const struct fifo *q) { return q->due[q->head % RING]; }

/** The queue whose head is due first, or NULL when both are empty. Ties go to the normal queue. */
static struct fifo *earliest(void) {
  if (fifo_empty(&held)) return fifo_empty(&normal) ? NULL : &normal;
  if (fifo_empty(&normal)) return &held;
  return fifo_due(&held) < fifo_due(&normal) ? &held : &normal;
}

static int on_packet(struct nfq_q_handle *qh, struct nfgenmsg *msg, struct nfq_data *nfa, void *data) {
  (void)msg;
  (void)data;
  struct nfqnl_msg_packet_hdr *ph = nfq_get_msg_packet_hdr(nfa);
  if (!ph) return 0;
  uint32_t id = ntohl(ph->packet_id);
  uint64_t t = now_ns();
  // One draw per packet in arrival order, so the picks depend only on the seed and that order.
  int late = reorder_threshold > 0 && (uint32_t)(next_random() % 10000u) < reorder_threshold;
  int r = late ? fifo_push(&held, id, t + delay_ns + extra_ns) : fifo_push(&normal, id, t + delay_ns);
  if (r < 0) { // queue full: behave like a full queue and drop
    overflow++;
    nfq_set_verdict(qh, id, NF_DROP, 0, NULL);
  }
  return 0;
}

static void usage(void) {
  fprintf(stderr, "usage: nfq-delay [-r REORDER_PCT] [-e EXTRA_MS] [-s SEED] QUEUE_NUM DELAY_MS [LABEL]\n");
}

int main(int argc, char **argv) {
  double reorder_pct = 0, extra_ms = 10;
  unsigned long long seed = 1;
  int opt;
  while ((opt = getopt(argc, argv, "r:e:s:")) != -1) {
    char *end = NULL;
    switch (opt) {
    case 'r': reorder_pct = strtod(optarg, &end); break;
    case 'e': extra_ms = strtod(optarg, &end); break;
    case 's': seed = strtoull(optarg, &end, 10); break;
    default: usage(); return 2;
    }
    if (!end || *end != '\0') { usage(); return 2; }
  }
  int rest = argc - optind;
  if (rest != 2 && rest != 3) { usage(); return 2; }
  if (reorder_pct < 0 || reorder_pct > 100 || extra_ms < 0) {
    fprintf(stderr, "nfq-delay: -r must be 0..100 and -e at least 0\n");
    return 2;
  }
  int qnum = atoi(argv[optind]);
  delay_ns = (uint64_t)(atof(argv[optind + 1]) * 1e6);
  extra_ns = (uint64_t)(extra_ms * 1e6);
  reorder_threshold = (uint32_t)(reorder_pct * 100 + 0.5);
  rng_state = seed;
  struct nfq_handle *h = nfq_open();
  if (!h) { perror("nfq_open"); return 1; }
  struct nfq_q_handle *qh = nfq_create_queue(h, (uint16_t)qnum, &on_packet, NULL);
  if (!qh) { perror("nfq_create_queue (is another program bound to this queue?)"); return 1; }
  if (nfq_set_mode(qh, NFQNL_COPY_META, 0) < 0) { perror("nfq_set_mode"); return 1; }
  nfq_set_queue_maxlen(qh, RING);
  nfnl_rcvbufsiz(nfq_nfnlh(h), 64u * 1024u * 1024u);
  int fd = nfq_fd(h);
  int one = 1;
  setsockopt(fd, SOL_NETLINK, NETLINK_NO_ENOBUFS, &one, sizeof one);
  printf("ready\n");
  fflush(stdout);
  static char buf[65536] __attribute__((aligned));
  for (;;) {
    int timeout = -1;
    struct fifo *q = earliest();
    if (q) {
      uint64_t t = now_ns();
      uint64_t d = fifo_due(q);
      timeout = d > t ? (int)((d - t + 999999) / 1000000) : 0;
    }
    struct pollfd p = {.fd = fd, .events = POLLIN};
    int r = poll(&p, 1, timeout);
    if (r < 0 && errno != EINTR) { perror("poll"); return 1; }
    if (r > 0) {
      for (;;) { // drain everything that is waiting
        ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
        if (n < 0) break;
        nfq_handle_packet(h, buf, (int)n);
      }
    }
    uint64_t t = now_ns();
    while ((q = earliest()) != NULL && fifo_due(q) <= t) {
      nfq_set_verdict(qh, q->ids[q->head % RING], NF_ACCEPT, 0, NULL);
      q->head++;
    }
  }
}
