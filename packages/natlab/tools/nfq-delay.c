// nfq-delay: hold every packet of an NFQUEUE for a fixed delay, then accept it, in arrival order.
// Usage: nfq-delay QUEUE_NUM DELAY_MS [LABEL]   (LABEL is ignored: it names the lab in `ps`)
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

#define RING 262144u

static uint32_t ids[RING];
static uint64_t due[RING];
static unsigned head, tail; // head: next to release; tail: next free
static uint64_t delay_ns;
static unsigned long overflow;

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int on_packet(struct nfq_q_handle *qh, struct nfgenmsg *msg, struct nfq_data *nfa, void *data) {
  (void)msg;
  (void)data;
  struct nfqnl_msg_packet_hdr *ph = nfq_get_msg_packet_hdr(nfa);
  if (!ph) return 0;
  uint32_t id = ntohl(ph->packet_id);
  if (tail - head >= RING) { // ring full: behave like a full queue and drop
    overflow++;
    nfq_set_verdict(qh, id, NF_DROP, 0, NULL);
    return 0;
  }
  ids[tail % RING] = id;
  due[tail % RING] = now_ns() + delay_ns;
  tail++;
  return 0;
}

int main(int argc, char **argv) {
  if (argc != 3 && argc != 4) {
    fprintf(stderr, "usage: nfq-delay QUEUE_NUM DELAY_MS [LABEL]\n");
    return 2;
  }
  int qnum = atoi(argv[1]);
  delay_ns = (uint64_t)(atof(argv[2]) * 1e6);
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
    if (head != tail) {
      uint64_t t = now_ns();
      uint64_t d = due[head % RING];
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
    while (head != tail && due[head % RING] <= t) {
      nfq_set_verdict(qh, ids[head % RING], NF_ACCEPT, 0, NULL);
      head++;
    }
  }
}
