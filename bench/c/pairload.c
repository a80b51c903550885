/*
 * pairload: the load generator of the bench's `pairs` suite. It does exactly what BenchLoad's `pairs` mode does
 * per pair, at a fraction of its CPU (one thread, epoll, non-blocking sockets, no JVM), so that on a small
 * machine the generator does not bound the pairs/s it measures:
 *
 *   both legs connect and send the upgrade with one fresh WebRoute-ID; both 101s are read and their
 *   Sec-WebRoute-Accept checked; once both are linked A sends one byte, B answers with one byte, A closes; the
 *   pair is done when the gateway closes B. Anything else (refused, closed early, a wrong 101) is an error.
 *
 *   pairload --gateway HOST:PORT --pairs N --concurrency C [--warmup-pairs W] [--max-seconds T] [--path P]
 *
 * W unrecorded pairs first (their result on stderr), then "MEASURING" on stdout, then N pairs with C in flight.
 * Each run is bounded by N and by T seconds (default 120). The result is one JSON line on stdout with the fields
 * of BenchLoad's: pairs, errors, complete, pairs_per_s, p50/p99 latencies, the phase medians, error_samples,
 * and load_cpu_s, this process's own CPU (getrusage) in the measured run. Built by the bench:
 *
 *   gcc -O2 -I bench/c -o pairload bench/c/pairload.c -lcrypto
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "webroute.h"

#define HEAD_MAX 1024
#define MAX_SAMPLES 5

struct leg {
    int fd;         /* -1 once closed */
    int linked;     /* its 101 is read and right */
    size_t sent;    /* bytes of the request written so far */
    size_t head_len;
    char head[HEAD_MAX];
};

struct pair {
    struct leg leg[2]; /* [0] = A, [1] = B */
    int busy, closing_a;
    char id[WEBROUTE_ID_LEN + 1], accept[WEBROUTE_ACCEPT_LEN + 1];
    char request[512];
    size_t request_len;
    long long started, linked_at, answered_at;
};

static struct sockaddr_in gateway;
static char host_port[64];
static const char *path = "/pairs";
static int ep;

/* One bounded run: its pairs, its timings, its errors. */
static struct run {
    int total, concurrency, started, done, errors, in_flight;
    struct pair *slots;
    int *free_slots, free_count;
    long long *latency, *to_link, *to_answer, *to_end;
    char samples[MAX_SAMPLES][200];
} run;

static long long now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000000000LL + t.tv_nsec;
}

/* Random IDs from a pool, one getrandom() per 200 pairs rather than one per pair. */
static void new_id(char id[WEBROUTE_ID_LEN + 1]) {
    static unsigned char pool[4000];
    static size_t used = sizeof pool;
    if (used == sizeof pool) {
        if (getrandom(pool, sizeof pool, 0) != (ssize_t) sizeof pool) {
            perror("getrandom");
            exit(1);
        }
        used = 0;
    }
    webroute_hex_id(pool + used, id);
    used += 20;
}

static void close_leg(struct leg *l) {
    if (l->fd >= 0) {
        close(l->fd); /* also leaves the epoll set: the fd is never dup'ed */
        l->fd = -1;
    }
}

/* Ends a pair: error == NULL for a pair that ran to its end, else why it failed (first few kept). */
static void end_pair(struct pair *p, const char *error, ...) {
    if (!p->busy) {
        return;
    }
    if (error) {
        if (run.errors < MAX_SAMPLES) {
            va_list ap;
            va_start(ap, error);
            vsnprintf(run.samples[run.errors], sizeof run.samples[0], error, ap);
            va_end(ap);
        }
        run.errors++;
    } else {
        long long now = now_ns();
        int i = run.done++;
        run.latency[i] = now - p->started;
        run.to_link[i] = p->linked_at - p->started;
        run.to_answer[i] = p->answered_at - p->linked_at;
        run.to_end[i] = now - p->answered_at;
    }
    close_leg(&p->leg[0]);
    close_leg(&p->leg[1]);
    p->busy = 0;
    run.in_flight--;
    /* Freed slots are refilled after the current epoll batch, so a stale event in it never meets a new pair. */
    run.free_slots[run.free_count++] = (int) (p - run.slots);
}

static void start_pair(void) {
    int slot = run.free_slots[--run.free_count];
    struct pair *p = &run.slots[slot];
    memset(p, 0, offsetof(struct pair, request));
    p->leg[0].fd = p->leg[1].fd = -1;
    p->busy = 1;
    p->started = now_ns();
    run.started++;
    run.in_flight++;
    new_id(p->id);
    webroute_accept(p->id, p->accept);
    int n = webroute_request(p->request, sizeof p->request, path, host_port, p->id, 0);
    p->request_len = (size_t) n;
    for (int i = 0; i < 2; i++) {
        struct leg *l = &p->leg[i];
        int one = 1;
        l->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (l->fd < 0) {
            end_pair(p, "socket: %s", strerror(errno));
            return;
        }
        setsockopt(l->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one); /* as BenchLoad's bootstrap */
        /* Edge-triggered: EPOLLOUT reports the connect once and never needs switching off. */
        struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET,
                                 .data.u64 = (unsigned long long) slot << 1 | (unsigned) i};
        if (epoll_ctl(ep, EPOLL_CTL_ADD, l->fd, &ev) != 0) {
            end_pair(p, "epoll_ctl: %s", strerror(errno));
            return;
        }
        if (connect(l->fd, (struct sockaddr *) &gateway, sizeof gateway) != 0 && errno != EINPROGRESS) {
            end_pair(p, "connect: %s", strerror(errno));
            return;
        }
    }
}

static int send_byte(struct pair *p, int i, char c) {
    if (send(p->leg[i].fd, &c, 1, MSG_NOSIGNAL) == 1) {
        return 0;
    }
    end_pair(p, "%s: sending one byte: %s", i ? "B" : "A", strerror(errno));
    return -1;
}

/* Bytes from the gateway: the 101 head, then the one byte that crosses. Returns -1 once the pair ended. */
static int on_bytes(struct pair *p, int i, const char *buf, size_t n) {
    struct leg *l = &p->leg[i];
    size_t k = 0;
    while (!l->linked && k < n) {
        if (l->head_len == HEAD_MAX) {
            end_pair(p, "%s: response head too long", i ? "B" : "A");
            return -1;
        }
        l->head[l->head_len++] = buf[k++];
        if (l->head_len >= 4 && memcmp(l->head + l->head_len - 4, "\r\n\r\n", 4) == 0) {
            const char *why = webroute_check_101(l->head, l->head_len, p->accept);
            if (why) {
                end_pair(p, "refused (%s): %.*s", why, (int) strcspn(l->head, "\r"), l->head);
                return -1;
            }
            l->linked = 1;
            if (p->leg[0].linked && p->leg[1].linked) {
                p->linked_at = now_ns();
                if (send_byte(p, 0, 'x') != 0) {
                    return -1;
                }
            }
        }
    }
    if (k == n) {
        return 0;
    }
    if (i == 1) { /* B got A's byte: answer */
        return send_byte(p, 1, 'y');
    }
    p->answered_at = now_ns(); /* A got B's answer: close A; the gateway then closes B */
    p->closing_a = 1;
    close_leg(&p->leg[0]);
    return -1;
}

static void on_event(struct pair *p, int i, unsigned events) {
    struct leg *l = &p->leg[i];
    if (events & EPOLLERR) {
        int err = 0;
        socklen_t len = sizeof err;
        getsockopt(l->fd, SOL_SOCKET, SO_ERROR, &err, &len);
        end_pair(p, "%s: %s", i ? "B" : "A", strerror(err ? err : EIO));
        return;
    }
    if ((events & EPOLLOUT) && l->sent < p->request_len) {
        ssize_t w = send(l->fd, p->request + l->sent, p->request_len - l->sent, MSG_NOSIGNAL);
        if (w < 0 && errno != EAGAIN) {
            end_pair(p, "%s: connect/send: %s", i ? "B" : "A", strerror(errno));
            return;
        }
        l->sent += w > 0 ? (size_t) w : 0;
    }
    if (!(events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP))) {
        return;
    }
    char buf[2048];
    for (;;) {
        ssize_t r = recv(l->fd, buf, sizeof buf, 0);
        if (r > 0) {
            if (on_bytes(p, i, buf, (size_t) r) != 0) {
                return;
            }
            /* A short read drained the socket; more bytes or the FIN raise a new edge (with EPOLLRDHUP). */
            if ((size_t) r < sizeof buf && !(events & (EPOLLRDHUP | EPOLLHUP))) {
                return;
            }
        } else if (r == 0) {
            /* The gateway closed B after A closed: the pair ran to its end. Any other close is early. */
            if (i == 1 && p->closing_a && p->leg[0].linked && p->leg[1].linked) {
                end_pair(p, NULL);
            } else {
                end_pair(p, "%s closed early: %.*s", i ? "B" : "A", l->head_len ? (int) strcspn(l->head, "\r") : 9,
                         l->head_len ? l->head : "(nothing)");
            }
            return;
        } else {
            if (errno != EAGAIN) {
                end_pair(p, "%s: %s", i ? "B" : "A", strerror(errno));
            }
            return;
        }
    }
}

static int cmp_ll(const void *a, const void *b) {
    long long x = *(const long long *) a, y = *(const long long *) b;
    return (x > y) - (x < y);
}

static double median_ms(long long *v, int n) {
    if (n == 0) {
        return 0;
    }
    qsort(v, (size_t) n, sizeof *v, cmp_ll);
    return v[n / 2] / 1e6;
}

/* Runs `total` pairs with `concurrency` in flight, for at most max_ns; prints the JSON result to `out`. */
static void pairs_run(int total, int concurrency, long long max_ns, FILE *out, const char *prefix, int with_cpu) {
    memset(&run, 0, sizeof run);
    run.total = total;
    run.concurrency = concurrency < total ? concurrency : total;
    run.slots = calloc((size_t) run.concurrency, sizeof *run.slots);
    run.free_slots = calloc((size_t) run.concurrency, sizeof *run.free_slots);
    run.latency = calloc((size_t) total, sizeof(long long));
    run.to_link = calloc((size_t) total, sizeof(long long));
    run.to_answer = calloc((size_t) total, sizeof(long long));
    run.to_end = calloc((size_t) total, sizeof(long long));
    if (!run.slots || !run.free_slots || !run.latency || !run.to_link || !run.to_answer || !run.to_end) {
        perror("calloc");
        exit(1);
    }
    for (int s = run.concurrency - 1; s >= 0; s--) {
        run.free_slots[run.free_count++] = s;
    }
    struct rusage ru0, ru1;
    getrusage(RUSAGE_SELF, &ru0);
    long long t0 = now_ns(), deadline = t0 + max_ns;
    struct epoll_event events[256];
    while (run.done + run.errors < total) {
        while (run.free_count > 0 && run.started < total) {
            start_pair();
        }
        long long left = deadline - now_ns();
        if (left <= 0) {
            break;
        }
        int n = epoll_wait(ep, events, 256, (int) (left / 1000000 + 1));
        if (n < 0 && errno != EINTR) {
            perror("epoll_wait");
            exit(1);
        }
        for (int e = 0; e < n; e++) {
            struct pair *p = &run.slots[events[e].data.u64 >> 1];
            int i = (int) (events[e].data.u64 & 1);
            if (p->busy && p->leg[i].fd >= 0) { /* else: a leg closed earlier in this batch */
                on_event(p, i, events[e].events);
            }
        }
    }
    long long elapsed = now_ns() - t0;
    getrusage(RUSAGE_SELF, &ru1);
    int complete = run.done + run.errors >= total;
    for (int s = 0; s < run.concurrency; s++) { /* pairs cut off by the time bound */
        close_leg(&run.slots[s].leg[0]);
        close_leg(&run.slots[s].leg[1]);
    }
    int ok = run.done;
    long long *lat = run.latency;
    qsort(lat, (size_t) ok, sizeof *lat, cmp_ll);
    double cpu = (ru1.ru_utime.tv_sec - ru0.ru_utime.tv_sec) + (ru1.ru_utime.tv_usec - ru0.ru_utime.tv_usec) / 1e6 +
                 (ru1.ru_stime.tv_sec - ru0.ru_stime.tv_sec) + (ru1.ru_stime.tv_usec - ru0.ru_stime.tv_usec) / 1e6;
    fprintf(out, "%s{\"pairs\": %d, \"errors\": %d, \"complete\": %s, \"concurrency\": %d, \"seconds\": %.3f, "
                 "\"pairs_per_s\": %.3f, \"p50_ms\": %.3f, \"p99_ms\": %.3f, \"p50_link_ms\": %.3f, "
                 "\"p50_bytes_ms\": %.3f, \"p50_close_ms\": %.3f, \"error_samples\": [",
            prefix, ok, run.errors, complete ? "true" : "false", concurrency, elapsed / 1e9, ok / (elapsed / 1e9),
            ok ? lat[ok / 2] / 1e6 : 0, ok ? lat[(int) (ok * 0.99)] / 1e6 : 0, median_ms(run.to_link, ok),
            median_ms(run.to_answer, ok), median_ms(run.to_end, ok));
    for (int s = 0; s < run.errors && s < MAX_SAMPLES; s++) {
        fputc(s ? ',' : ' ', out);
        fputc('"', out);
        for (const char *c = run.samples[s]; *c; c++) { /* JSON-safe: drop quotes, backslashes, controls */
            fputc(*c == '"' || *c == '\\' || (unsigned char) *c < 32 ? '?' : *c, out);
        }
        fputc('"', out);
    }
    fprintf(out, "]");
    if (with_cpu) {
        fprintf(out, ", \"load_cpu_s\": %.3f", cpu);
    }
    fprintf(out, "}\n");
    fflush(out);
    free(run.slots);
    free(run.free_slots);
    free(run.latency);
    free(run.to_link);
    free(run.to_answer);
    free(run.to_end);
}

static const char *arg(int argc, char **argv, const char *name, const char *dflt) {
    for (int i = 1; i + 1 < argc; i++) {
        if (strcmp(argv[i], name) == 0) {
            return argv[i + 1];
        }
    }
    if (!dflt) {
        fprintf(stderr, "usage: pairload --gateway HOST:PORT --pairs N --concurrency C [--warmup-pairs W] "
                        "[--max-seconds T] [--path P]  (missing %s)\n", name);
        exit(64);
    }
    return dflt;
}

int main(int argc, char **argv) {
    const char *gw = arg(argc, argv, "--gateway", NULL);
    int total = atoi(arg(argc, argv, "--pairs", NULL));
    int concurrency = atoi(arg(argc, argv, "--concurrency", NULL));
    int warmup = atoi(arg(argc, argv, "--warmup-pairs", "0"));
    long long max_ns = atoll(arg(argc, argv, "--max-seconds", "120")) * 1000000000LL;
    path = arg(argc, argv, "--path", "/pairs");
    const char *colon = strrchr(gw, ':');
    char host[48];
    if (!colon || colon - gw >= (long) sizeof host || total <= 0 || concurrency <= 0) {
        fprintf(stderr, "pairload: bad --gateway (want IPv4:port), --pairs or --concurrency\n");
        return 64;
    }
    snprintf(host, sizeof host, "%.*s", (int) (colon - gw), gw);
    snprintf(host_port, sizeof host_port, "%s", gw);
    gateway.sin_family = AF_INET;
    gateway.sin_port = htons((unsigned short) atoi(colon + 1));
    if (inet_pton(AF_INET, host, &gateway.sin_addr) != 1) {
        fprintf(stderr, "pairload: bad gateway address %s\n", host);
        return 64;
    }
    struct rlimit nofile; /* two sockets per pair in flight */
    if (getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur < nofile.rlim_max) {
        nofile.rlim_cur = nofile.rlim_max;
        setrlimit(RLIMIT_NOFILE, &nofile);
    }
    ep = epoll_create1(EPOLL_CLOEXEC);
    if (ep < 0) {
        perror("epoll_create1");
        return 1;
    }
    if (warmup > 0) {
        pairs_run(warmup, concurrency, max_ns, stderr, "warm-up: ", 0);
    }
    printf("MEASURING\n");
    fflush(stdout);
    pairs_run(total, concurrency, max_ns, stdout, "", 1);
    return 0;
}
