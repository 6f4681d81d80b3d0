/*
 * sclab-link: the lab's userspace link emulator, for kernels without sch_netem (in the spirit of
 * mahimahi's mm-delay and mm-loss).
 *
 * An L3 switch between TUN devices: one per endpoint (a relay's network namespace, or the host),
 * each carrying that endpoint's one IPv4 address. Every IPv4 packet read from an endpoint's TUN goes
 * to the endpoint that owns its destination address, through two links in turn:
 *
 *   the sender's uplink:     serialisation at its rate, then its delay; random loss on entry
 *   the receiver's downlink: the same with the receiver's parameters
 *
 * so, as with netem on both ends of a relay's veth, the delay counts once per direction per relay
 * link and relay-to-relay traffic crosses two links. A link holds at most LIMIT packets and at most
 * one second of serialisation backlog (drop tail beyond). Loss draws come from one PRNG per link,
 * seeded from the command line, so the n-th packet on a link meets the same draw in every run.
 * Time is CLOCK_MONOTONIC; due packets sit in one time-ordered heap; a timerfd wakes the loop.
 *
 * Usage: sclab-link [seed]        (root: it enters network namespaces and opens /dev/net/tun)
 *
 * Commands on stdin, one per line; each is answered on stdout with "ok ..." or "error ...":
 *   add <endpoint> <netns|-> <ifname> <a.b.c.d/prefix>   TUN in /run/netns/<netns> (or the host: -),
 *                                                          address, MTU 1500, up
 *   shape <endpoint> <delay_ms> <loss_percent> <rate_mbit> both links of the endpoint (0 = off)
 *   cut <endpoint> / heal <endpoint>                      drop everything to and from it / stop that
 *   stats                                                 one "stat <endpoint> key=value..." line per
 *                                                          endpoint, then "ok"
 * It exits when stdin closes; its TUNs are not persistent, so they vanish with it.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#define MAX_ENDPOINTS 1024
#define MTU 1500
#define LIMIT 1000                      /* packets per link, like netem's default limit */
#define MAX_BACKLOG_NS 1000000000LL     /* one second of serialisation queued per link */
#define READ_BURST 64                   /* packets read from one TUN per wakeup, for fairness */

struct link {
    int64_t delay_ns;
    double loss;                        /* probability, 0..1 */
    double ns_per_byte;                 /* 0: unlimited */
    int64_t busy_until;
    int queued;
    uint64_t rng;
    uint64_t in, lost, queue_drops;
    uint64_t lost_udp;                  /* of lost, the UDP datagrams: other traffic (a late TCP FIN) shares the link */
};

struct endpoint {
    char name[32];
    int fd;
    uint32_t addr;                      /* network order */
    int cut;
    struct link up, down;
    uint64_t rx, tx, rx_bytes, tx_bytes, cut_drops, unroutable, write_errors;
};

struct packet {
    int64_t due;
    uint64_t seq;
    struct endpoint *src, *dst;
    int on_downlink;                    /* 0: in the sender's uplink, 1: in the receiver's downlink */
    int len;
    unsigned char data[];
};

static struct endpoint endpoints[MAX_ENDPOINTS];
static int n_endpoints;
static struct packet **heap;
static size_t heap_len, heap_cap;
static uint64_t next_seq;
static uint64_t seed = 1;
static int epfd, timer_fd;

static int64_t now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000000LL + t.tv_nsec;
}

/* splitmix64: small, fast, good enough for loss draws, and seedable per link. */
static uint64_t next_random(uint64_t *state) {
    uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static double uniform(uint64_t *state) {
    return (next_random(state) >> 11) * (1.0 / 9007199254740992.0);
}

static uint64_t hash_name(const char *s) {
    uint64_t h = 1469598103934665603ULL;    /* FNV-1a */
    for (; *s; s++) {
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    }
    return h;
}

static int earlier(const struct packet *a, const struct packet *b) {
    return a->due < b->due || (a->due == b->due && a->seq < b->seq);
}

static void heap_push(struct packet *p) {
    if (heap_len == heap_cap) {
        heap_cap = heap_cap ? heap_cap * 2 : 1024;
        heap = realloc(heap, heap_cap * sizeof *heap);
        if (!heap) {
            perror("realloc");
            exit(1);
        }
    }
    size_t i = heap_len++;
    while (i > 0 && earlier(p, heap[(i - 1) / 2])) {
        heap[i] = heap[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    heap[i] = p;
}

static struct packet *heap_pop(void) {
    struct packet *top = heap[0], *last = heap[--heap_len];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= heap_len) {
            break;
        }
        if (c + 1 < heap_len && earlier(heap[c + 1], heap[c])) {
            c++;
        }
        if (!earlier(heap[c], last)) {
            break;
        }
        heap[i] = heap[c];
        i = c;
    }
    if (heap_len > 0) {
        heap[i] = last;
    }
    return top;
}

static struct endpoint *by_name(const char *name) {
    for (int i = 0; i < n_endpoints; i++) {
        if (strcmp(endpoints[i].name, name) == 0) {
            return &endpoints[i];
        }
    }
    return NULL;
}

static struct endpoint *by_addr(uint32_t addr) {
    for (int i = 0; i < n_endpoints; i++) {
        if (endpoints[i].addr == addr) {
            return &endpoints[i];
        }
    }
    return NULL;
}

static void deliver(struct packet *p) {
    struct endpoint *d = p->dst;
    if (d->cut || p->src->cut) {
        (d->cut ? d : p->src)->cut_drops++;
    } else if (write(d->fd, p->data, p->len) == p->len) {
        d->tx++;
        d->tx_bytes += p->len;
    } else {
        d->write_errors++;
    }
    free(p);
}

/* The packet enters a link at time t: loss, limits, serialisation, delay; then the heap or the next link. */
static void enter_link(struct packet *p, int64_t t) {
    for (;;) {
        struct endpoint *owner = p->on_downlink ? p->dst : p->src;
        struct link *l = p->on_downlink ? &owner->down : &owner->up;
        if (p->src->cut || p->dst->cut) {
            (p->dst->cut ? p->dst : p->src)->cut_drops++;    /* charged to the endpoint that is cut */
            free(p);
            return;
        }
        l->in++;
        if (l->loss > 0 && uniform(&l->rng) < l->loss) {
            l->lost++;
            if (p->len > 9 && (p->data[0] >> 4) == 4 && p->data[9] == 17) {
                l->lost_udp++;
            }
            free(p);
            return;
        }
        int waits = l->ns_per_byte > 0 || l->delay_ns > 0;
        if (waits && l->queued >= LIMIT) {
            l->queue_drops++;
            free(p);
            return;
        }
        int64_t done = t;
        if (l->ns_per_byte > 0) {
            int64_t start = l->busy_until > t ? l->busy_until : t;
            if (start - t > MAX_BACKLOG_NS) {
                l->queue_drops++;
                free(p);
                return;
            }
            done = start + (int64_t)(p->len * l->ns_per_byte);
            l->busy_until = done;
        }
        if (waits) {
            l->queued++;
            p->due = done + l->delay_ns;
            p->seq = next_seq++;
            heap_push(p);
            return;
        }
        /* Nothing to wait for on this link. */
        if (p->on_downlink) {
            deliver(p);
            return;
        }
        p->on_downlink = 1;
    }
}

static void leave_link(struct packet *p) {
    struct endpoint *owner = p->on_downlink ? p->dst : p->src;
    (p->on_downlink ? &owner->down : &owner->up)->queued--;
    if (p->on_downlink) {
        deliver(p);
    } else {
        p->on_downlink = 1;
        enter_link(p, p->due);
    }
}

static void read_tun(struct endpoint *e) {
    for (int n = 0; n < READ_BURST; n++) {
        struct packet *p = malloc(sizeof *p + MTU + 64);
        if (!p) {
            return;
        }
        ssize_t len = read(e->fd, p->data, MTU + 64);
        if (len <= 0) {
            free(p);
            return;
        }
        e->rx++;
        e->rx_bytes += len;
        struct endpoint *d = NULL;
        if (len >= 20 && (p->data[0] >> 4) == 4) {
            uint32_t dst;
            memcpy(&dst, p->data + 16, 4);
            d = by_addr(dst);
        }
        if (!d || d == e) {
            e->unroutable++;    /* not IPv4, or an address no endpoint has (broadcast, multicast) */
            free(p);
            continue;
        }
        p->src = e;
        p->dst = d;
        p->len = (int)len;
        p->on_downlink = 0;
        enter_link(p, now_ns());
    }
}

static void arm_timer(void) {
    struct itimerspec its = {0};
    if (heap_len > 0) {
        int64_t due = heap[0]->due;
        if (due <= 0) {
            due = 1;
        }
        its.it_value.tv_sec = due / 1000000000LL;
        its.it_value.tv_nsec = due % 1000000000LL;
    }
    timerfd_settime(timer_fd, TFD_TIMER_ABSTIME, &its, NULL);
}

static int open_netns(const char *name) {
    char path[300];
    snprintf(path, sizeof path, "/run/netns/%s", name);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(path, sizeof path, "/var/run/netns/%s", name);
        fd = open(path, O_RDONLY | O_CLOEXEC);
    }
    return fd;
}

static int configure(const char *ifname, struct in_addr addr, int prefix, char *err, size_t errlen) {
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0) {
        snprintf(err, errlen, "socket: %s", strerror(errno));
        return -1;
    }
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    strncpy(ifr.ifr_name, ifname, IFNAMSIZ - 1);
    struct sockaddr_in *sin = (struct sockaddr_in *)&ifr.ifr_addr;
    sin->sin_family = AF_INET;
    sin->sin_addr = addr;
    const char *step = "SIOCSIFADDR";
    int rc = ioctl(s, SIOCSIFADDR, &ifr);
    if (rc == 0) {
        sin->sin_addr.s_addr = prefix == 0 ? 0 : htonl(0xffffffffU << (32 - prefix));
        step = "SIOCSIFNETMASK";
        rc = ioctl(s, SIOCSIFNETMASK, &ifr);
    }
    if (rc == 0) {
        ifr.ifr_mtu = MTU;
        step = "SIOCSIFMTU";
        rc = ioctl(s, SIOCSIFMTU, &ifr);
    }
    if (rc == 0) {
        ifr.ifr_qlen = 1000;
        step = "SIOCSIFTXQLEN";
        rc = ioctl(s, SIOCSIFTXQLEN, &ifr);
    }
    /* The lab speaks IPv4 only: no IPv6 chatter (router solicitations) through the emulator; before it is up. */
    char path[128];
    snprintf(path, sizeof path, "/proc/sys/net/ipv6/conf/%s/disable_ipv6", ifname);
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd >= 0) {
        if (write(fd, "1", 1) < 0) {
            /* No IPv6 on this kernel: nothing to silence. */
        }
        close(fd);
    }
    if (rc == 0) {
        step = "SIOCGIFFLAGS";
        rc = ioctl(s, SIOCGIFFLAGS, &ifr);
    }
    if (rc == 0) {
        ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
        step = "SIOCSIFFLAGS";
        rc = ioctl(s, SIOCSIFFLAGS, &ifr);
    }
    if (rc != 0) {
        snprintf(err, errlen, "%s %s: %s", step, ifname, strerror(errno));
    }
    close(s);
    return rc == 0 ? 0 : -1;
}

/* Opens the TUN inside the namespace (the device lives where /dev/net/tun was opened), configures it there. */
static int add_endpoint(const char *name, const char *netns, const char *ifname, const char *cidr, char *err, size_t errlen) {
    if (n_endpoints == MAX_ENDPOINTS) {
        snprintf(err, errlen, "too many endpoints");
        return -1;
    }
    if (strlen(name) >= sizeof endpoints[0].name || by_name(name)) {
        snprintf(err, errlen, "endpoint name too long or taken: %s", name);
        return -1;
    }
    if (strlen(ifname) >= IFNAMSIZ) {
        snprintf(err, errlen, "interface name too long: %s", ifname);
        return -1;
    }
    char ip[32];
    int prefix;
    struct in_addr addr;
    if (sscanf(cidr, "%31[0-9.]/%d", ip, &prefix) != 2 || prefix < 0 || prefix > 32 || inet_pton(AF_INET, ip, &addr) != 1) {
        snprintf(err, errlen, "bad address %s (a.b.c.d/prefix)", cidr);
        return -1;
    }
    if (by_addr(addr.s_addr)) {
        snprintf(err, errlen, "address taken: %s", ip);
        return -1;
    }
    int home = -1, target = -1;
    if (strcmp(netns, "-") != 0) {
        home = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
        target = open_netns(netns);
        if (home < 0 || target < 0 || setns(target, CLONE_NEWNET) != 0) {
            snprintf(err, errlen, "cannot enter network namespace %s: %s", netns, strerror(errno));
            if (home >= 0) close(home);
            if (target >= 0) close(target);
            return -1;
        }
    }
    int rc = -1;
    int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "/dev/net/tun: %s", strerror(errno));
    } else {
        struct ifreq ifr;
        memset(&ifr, 0, sizeof ifr);
        ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
        strncpy(ifr.ifr_name, ifname, IFNAMSIZ - 1);
        if (ioctl(fd, TUNSETIFF, &ifr) != 0) {
            snprintf(err, errlen, "TUNSETIFF %s: %s", ifname, strerror(errno));
        } else {
            rc = configure(ifname, addr, prefix, err, errlen);
        }
        if (rc != 0) {
            close(fd);
        }
    }
    if (home >= 0) {
        if (setns(home, CLONE_NEWNET) != 0) {
            perror("setns back to the host namespace");
            exit(1);
        }
        close(home);
        close(target);
    }
    if (rc != 0) {
        return -1;
    }
    struct endpoint *e = &endpoints[n_endpoints];
    memset(e, 0, sizeof *e);
    snprintf(e->name, sizeof e->name, "%s", name);
    e->fd = fd;
    e->addr = addr.s_addr;
    uint64_t h = hash_name(name);
    e->up.rng = seed ^ h;
    e->down.rng = seed ^ (h * 31 + 7);
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)n_endpoints};
    if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
        snprintf(err, errlen, "epoll_ctl: %s", strerror(errno));
        close(fd);
        return -1;
    }
    n_endpoints++;
    return 0;
}

static void set_link(struct link *l, double delay_ms, double loss_percent, double rate_mbit) {
    l->delay_ns = (int64_t)(delay_ms * 1e6);
    l->loss = loss_percent / 100.0;
    l->ns_per_byte = rate_mbit > 0 ? 8000.0 / rate_mbit : 0;    /* 8 bits / (rate * 1e6 bit/s) in ns */
}

static void print_link(const char *dir, const struct link *l) {
    printf(" %s_in=%llu %s_lost=%llu %s_lost_udp=%llu %s_queue_drops=%llu", dir, (unsigned long long)l->in, dir,
           (unsigned long long)l->lost, dir, (unsigned long long)l->lost_udp, dir, (unsigned long long)l->queue_drops);
}

static void command(char *line) {
    char *argv[8];
    int argc = 0;
    for (char *tok = strtok(line, " \t\r"); tok && argc < 8; tok = strtok(NULL, " \t\r")) {
        argv[argc++] = tok;
    }
    char err[256] = "";
    if (argc == 0) {
        return;
    }
    if (strcmp(argv[0], "add") == 0 && argc == 5) {
        if (add_endpoint(argv[1], argv[2], argv[3], argv[4], err, sizeof err) == 0) {
            printf("ok %s\n", argv[3]);
        } else {
            printf("error %s\n", err);
        }
    } else if (strcmp(argv[0], "shape") == 0 && argc == 5) {
        struct endpoint *e = by_name(argv[1]);
        char *end1, *end2, *end3;
        double delay = strtod(argv[2], &end1), loss = strtod(argv[3], &end2), rate = strtod(argv[4], &end3);
        if (!e) {
            printf("error no endpoint %s\n", argv[1]);
        } else if (*end1 || *end2 || *end3 || !(delay >= 0 && delay <= 60000) || !(loss >= 0 && loss <= 100) || !(rate >= 0)) {
            printf("error bad shape: delay_ms 0..60000, loss_percent 0..100, rate_mbit >= 0\n");
        } else {
            set_link(&e->up, delay, loss, rate);
            set_link(&e->down, delay, loss, rate);
            printf("ok\n");
        }
    } else if ((strcmp(argv[0], "cut") == 0 || strcmp(argv[0], "heal") == 0) && argc == 2) {
        struct endpoint *e = by_name(argv[1]);
        if (!e) {
            printf("error no endpoint %s\n", argv[1]);
        } else {
            e->cut = argv[0][0] == 'c';
            printf("ok\n");
        }
    } else if (strcmp(argv[0], "stats") == 0 && argc == 1) {
        for (int i = 0; i < n_endpoints; i++) {
            struct endpoint *e = &endpoints[i];
            printf("stat %s rx=%llu tx=%llu rx_bytes=%llu tx_bytes=%llu cut_drops=%llu unroutable=%llu write_errors=%llu", e->name,
                   (unsigned long long)e->rx, (unsigned long long)e->tx, (unsigned long long)e->rx_bytes,
                   (unsigned long long)e->tx_bytes, (unsigned long long)e->cut_drops, (unsigned long long)e->unroutable,
                   (unsigned long long)e->write_errors);
            print_link("up", &e->up);
            print_link("down", &e->down);
            printf("\n");
        }
        printf("ok\n");
    } else {
        printf("error unknown command or wrong arguments: %s\n", argv[0]);
    }
    fflush(stdout);
}

int main(int argc, char **argv) {
    if (argc > 2 || (argc == 2 && strcmp(argv[1], "--help") == 0)) {
        fprintf(stderr, "usage: %s [seed]  (commands on stdin: see the source's header)\n", argv[0]);
        return 2;
    }
    if (argc == 2) {
        seed = strtoull(argv[1], NULL, 10);
    }
    signal(SIGPIPE, SIG_IGN);
    epfd = epoll_create1(EPOLL_CLOEXEC);
    timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (epfd < 0 || timer_fd < 0) {
        perror("epoll/timerfd");
        return 1;
    }
    fcntl(0, F_SETFL, fcntl(0, F_GETFL) | O_NONBLOCK);
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = 0xfffffffeU};
    epoll_ctl(epfd, EPOLL_CTL_ADD, 0, &ev);
    ev.data.u32 = 0xffffffffU;
    epoll_ctl(epfd, EPOLL_CTL_ADD, timer_fd, &ev);

    static char cmd[4096];
    size_t cmd_len = 0;
    struct epoll_event events[64];
    for (;;) {
        int n = epoll_wait(epfd, events, 64, -1);
        if (n < 0 && errno != EINTR) {
            perror("epoll_wait");
            return 1;
        }
        for (int i = 0; i < n; i++) {
            uint32_t id = events[i].data.u32;
            if (id == 0xfffffffeU) {
                for (;;) {
                    ssize_t r = read(0, cmd + cmd_len, sizeof cmd - 1 - cmd_len);
                    if (r == 0) {
                        return 0;   /* stdin closed: the lab is gone */
                    }
                    if (r < 0) {
                        if (errno == EAGAIN || errno == EINTR) {
                            break;
                        }
                        return 0;
                    }
                    cmd_len += (size_t)r;
                    char *nl;
                    while ((nl = memchr(cmd, '\n', cmd_len)) != NULL) {
                        *nl = 0;
                        command(cmd);
                        size_t used = (size_t)(nl - cmd) + 1;
                        memmove(cmd, nl + 1, cmd_len - used);
                        cmd_len -= used;
                    }
                    if (cmd_len == sizeof cmd - 1) {
                        cmd_len = 0;    /* a line that long is no command */
                    }
                }
            } else if (id == 0xffffffffU) {
                uint64_t expirations;
                if (read(timer_fd, &expirations, sizeof expirations) < 0) {
                    /* EAGAIN: the heap is looked at below anyway. */
                }
            } else {
                read_tun(&endpoints[id]);
            }
        }
        int64_t now = now_ns();
        while (heap_len > 0 && heap[0]->due <= now) {
            leave_link(heap_pop());
        }
        arm_timer();
    }
}
