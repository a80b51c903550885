/*
 * LD_PRELOAD shim that makes an unmodified iperf3 speak WebRoute, so that in the isthmus-* throughput rows the
 * gateway is the only relay between iperf3's client and server (the same three processes as the socat, nginx
 * and HAProxy rows). The bench builds it at start:
 *
 *   gcc -O2 -shared -fPIC -I bench/c -o webroute_shim.so bench/shim/webroute_shim.c -ldl -lcrypto
 *
 * Client (iperf3 -c 127.0.0.1 -p P), env WEBROUTE_SHIM_TARGET=127.0.0.1:P, WEBROUTE_SHIM_GATEWAY=HOST:PORT:
 *   connect() to the target connects the same fd to the gateway instead and sends the WebRoute upgrade (leg A,
 *   one fresh random ID). It then opens a separate "trigger" connection to the real target and sends the ID
 *   and "\n" on it, reads the 101 head byte by byte (what follows belongs to iperf3), checks the status and
 *   Sec-WebRoute-Accept, and returns 0: iperf3 sees an ordinary connected socket.
 * Server (iperf3 -s -p P), env WEBROUTE_SHIM_GATEWAY only:
 *   accept()/accept4() accept the trigger, read its ID line, open leg B to the gateway with the same ID, read
 *   its 101, close the trigger and return leg B as the accepted socket.
 * Leg A's request is on the wire before the trigger is sent, so both legs are in flight before either side
 * waits for its 101 (the gateway answers both once paired). Every connection (iperf3's control connection and
 * each stream) gets its own link. The handshake runs inside connect()/accept(), before iperf3 starts timing.
 *
 * Optional: WEBROUTE_SHIM_PATH (default /bench), WEBROUTE_SHIM_TIMEOUT_MS (default 10000, bounds each
 * handshake), WEBROUTE_SHIM_VERBOSE=1 (one stderr line per link). IPv4 only: the bench is on 127.0.0.1.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "webroute.h"

static int (*real_connect)(int, const struct sockaddr *, socklen_t);
static int (*real_accept4)(int, struct sockaddr *, socklen_t *, int);

static struct {
    int client, server; /* which side this process plays (client: TARGET set; server: only GATEWAY) */
    struct sockaddr_in target, gateway;
    char host[64];      /* the Host header: the gateway's host:port */
    const char *path;
    int timeout_ms, verbose;
} cfg;

static int parse_addr(const char *s, struct sockaddr_in *out) {
    const char *colon = s ? strrchr(s, ':') : NULL;
    char host[48];
    if (!colon || colon - s >= (long) sizeof host) {
        return -1;
    }
    memcpy(host, s, (size_t) (colon - s));
    host[colon - s] = 0;
    memset(out, 0, sizeof *out);
    out->sin_family = AF_INET;
    out->sin_port = htons((unsigned short) atoi(colon + 1));
    return inet_pton(AF_INET, host, &out->sin_addr) == 1 && out->sin_port ? 0 : -1;
}

__attribute__((constructor)) static void shim_init(void) {
    real_connect = dlsym(RTLD_NEXT, "connect");
    real_accept4 = dlsym(RTLD_NEXT, "accept4");
    const char *gateway = getenv("WEBROUTE_SHIM_GATEWAY"), *target = getenv("WEBROUTE_SHIM_TARGET");
    if (!gateway) {
        return;
    }
    if (parse_addr(gateway, &cfg.gateway) != 0 || (target && parse_addr(target, &cfg.target) != 0)) {
        fprintf(stderr, "webroute_shim: bad WEBROUTE_SHIM_GATEWAY/TARGET (want IPv4:port): %s %s\n", gateway,
                target ? target : "");
        return;
    }
    snprintf(cfg.host, sizeof cfg.host, "%s", gateway);
    cfg.path = getenv("WEBROUTE_SHIM_PATH") ? getenv("WEBROUTE_SHIM_PATH") : "/bench";
    cfg.timeout_ms = getenv("WEBROUTE_SHIM_TIMEOUT_MS") ? atoi(getenv("WEBROUTE_SHIM_TIMEOUT_MS")) : 10000;
    cfg.verbose = getenv("WEBROUTE_SHIM_VERBOSE") && *getenv("WEBROUTE_SHIM_VERBOSE") == '1';
    cfg.client = target != NULL;
    cfg.server = target == NULL;
}

static long long now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000LL + t.tv_nsec / 1000000;
}

/* Waits for `events` on a non-blocking fd until the deadline; 0, or -1 with errno (ETIMEDOUT). */
static int await(int fd, short events, long long deadline) {
    for (;;) {
        long long left = deadline - now_ms();
        if (left <= 0) {
            errno = ETIMEDOUT;
            return -1;
        }
        struct pollfd p = {.fd = fd, .events = events};
        int n = poll(&p, 1, (int) left);
        if (n > 0) {
            return 0;
        }
        if (n < 0 && errno != EINTR) {
            return -1;
        }
    }
}

/* Connects a non-blocking fd within the deadline (bounded even if the peer never answers). */
static int dial(int fd, const struct sockaddr_in *to, long long deadline) {
    if (real_connect(fd, (const struct sockaddr *) to, sizeof *to) == 0) {
        return 0;
    }
    if (errno != EINPROGRESS || await(fd, POLLOUT, deadline) != 0) {
        return -1;
    }
    int err = 0;
    socklen_t len = sizeof err;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) {
        return -1;
    }
    errno = err;
    return err ? -1 : 0;
}

static int send_all(int fd, const char *buf, size_t n, long long deadline) {
    while (n > 0) {
        ssize_t w = send(fd, buf, n, MSG_NOSIGNAL);
        if (w > 0) {
            buf += w;
            n -= (size_t) w;
        } else if (w < 0 && errno != EAGAIN && errno != EINTR) {
            return -1;
        } else if (await(fd, POLLOUT, deadline) != 0) {
            return -1;
        }
    }
    return 0;
}

static int send_upgrade(int fd, const char *id, long long deadline) {
    char req[512];
    /* WebRoute-Timeout as the docks ask: an idle iperf3 control connection must outlive a long run. */
    int n = webroute_request(req, sizeof req, cfg.path, cfg.host, id, 600);
    return n < 0 ? (errno = EINVAL, -1) : send_all(fd, req, (size_t) n, deadline);
}

/*
 * Reads the response head one byte at a time: bytes after the blank line are iperf3's and must stay in the
 * socket. Checks the 101 and its Sec-WebRoute-Accept. 0, or -1 with errno and *why set.
 */
static int await_101(int fd, const char *id, long long deadline, const char **why) {
    char head[1024], accept[WEBROUTE_ACCEPT_LEN + 1];
    size_t n = 0;
    while (n < 4 || memcmp(head + n - 4, "\r\n\r\n", 4) != 0) {
        if (n == sizeof head) {
            *why = "response head too long";
            errno = EPROTO;
            return -1;
        }
        ssize_t r = recv(fd, head + n, 1, 0);
        if (r == 1) {
            n++;
        } else if (r == 0) {
            *why = "gateway closed during the handshake";
            errno = ECONNRESET;
            return -1;
        } else if ((errno != EAGAIN && errno != EINTR) || await(fd, POLLIN, deadline) != 0) {
            *why = errno == ETIMEDOUT ? "no 101 in time (no partner?)" : "reading the 101";
            return -1;
        }
    }
    webroute_accept(id, accept);
    if ((*why = webroute_check_101(head, n, accept)) != NULL) {
        errno = ECONNREFUSED;
        fprintf(stderr, "webroute_shim: the gateway answered: %.*s\n", (int) ((char *) memchr(head, '\r', n) - head), head);
        return -1;
    }
    return 0;
}

static void fail(const char *side, const char *what, int err) {
    fprintf(stderr, "webroute_shim (%s): %s: %s\n", side, what, strerror(err));
    errno = err;
}

/* Client: fd becomes leg A of a fresh link; the trigger tells the server side to open leg B. */
static int client_link(int fd) {
    unsigned char raw[20];
    char id[WEBROUTE_ID_LEN + 1], line[WEBROUTE_ID_LEN + 2];
    const char *why = NULL;
    long long deadline = now_ms() + cfg.timeout_ms;
    if (getrandom(raw, sizeof raw, 0) != sizeof raw) {
        fail("client", "getrandom", errno);
        return -1;
    }
    webroute_hex_id(raw, id);
    if (dial(fd, &cfg.gateway, deadline) != 0) {
        fail("client", "connecting to the gateway", errno);
        return -1;
    }
    if (send_upgrade(fd, id, deadline) != 0) {
        fail("client", "sending the upgrade", errno);
        return -1;
    }
    int trigger = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    snprintf(line, sizeof line, "%s\n", id);
    if (trigger < 0 || dial(trigger, &cfg.target, deadline) != 0 || send_all(trigger, line, strlen(line), deadline) != 0) {
        int err = errno;
        if (trigger >= 0) {
            close(trigger);
        }
        fail("client", "trigger connection to the iperf3 server", err);
        return -1;
    }
    close(trigger); /* the line is queued; the server reads it, then closes its end */
    if (await_101(fd, id, deadline, &why) != 0) {
        fail("client", why, errno);
        return -1;
    }
    if (cfg.verbose) {
        fprintf(stderr, "webroute_shim (client): fd %d linked, id %s\n", fd, id);
    }
    return 0;
}

static int is_target(const struct sockaddr *addr, socklen_t len) {
    const struct sockaddr_in *in = (const struct sockaddr_in *) addr;
    return cfg.client && addr && len >= sizeof *in && in->sin_family == AF_INET &&
           in->sin_port == cfg.target.sin_port && in->sin_addr.s_addr == cfg.target.sin_addr.s_addr;
}

int connect(int fd, const struct sockaddr *addr, socklen_t len) {
    if (!is_target(addr, len)) {
        return real_connect(fd, addr, len);
    }
    /* The handshake runs on a non-blocking fd with a deadline, then iperf3's own flags come back; iperf3
       (blocking connect, or timeout_connect's non-blocking one) sees an immediate success either way. */
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0) {
        return -1;
    }
    int rc = client_link(fd), err = errno;
    fcntl(fd, F_SETFL, flags);
    errno = err;
    return rc;
}

/* Server: reads the trigger's ID line and returns leg B (same ID) as the accepted socket, or -1. */
static int server_link(int trigger, int flags) {
    char id[72];
    const char *why = NULL;
    size_t n = 0;
    long long deadline = now_ms() + cfg.timeout_ms;
    for (;;) {
        ssize_t r = recv(trigger, id + n, sizeof id - 1 - n, 0);
        if (r > 0) {
            n += (size_t) r;
            if (memchr(id, '\n', n)) {
                break;
            }
            if (n == sizeof id - 1) {
                fail("server", "trigger line too long", EPROTO);
                return -1;
            }
        } else if (r == 0) {
            fail("server", "trigger closed without an ID (not a shim client?)", ECONNABORTED);
            return -1;
        } else if ((errno != EAGAIN && errno != EINTR) || await(trigger, POLLIN, deadline) != 0) {
            fail("server", "reading the trigger's ID", errno);
            return -1;
        }
    }
    *strchr(id, '\n') = 0;
    for (char *c = id; *c; c++) {
        if (!isalnum((unsigned char) *c)) {
            fail("server", "trigger ID is not alphanumeric", EPROTO);
            return -1;
        }
    }
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | (flags & SOCK_CLOEXEC), 0);
    if (fd < 0) {
        fail("server", "socket", errno);
        return -1;
    }
    if (dial(fd, &cfg.gateway, deadline) != 0 || send_upgrade(fd, id, deadline) != 0 ||
        await_101(fd, id, deadline, &why) != 0) {
        int err = errno;
        close(fd);
        fail("server", why ? why : "leg B to the gateway", err);
        return -1;
    }
    if (!(flags & SOCK_NONBLOCK)) {
        fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    }
    if (cfg.verbose) {
        fprintf(stderr, "webroute_shim (server): fd %d linked, id %s\n", fd, id);
    }
    return fd;
}

static int shim_accept(int lfd, struct sockaddr *addr, socklen_t *len, int flags) {
    if (!cfg.server) {
        return real_accept4(lfd, addr, len, flags);
    }
    int trigger = real_accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (trigger < 0) {
        return -1; /* EAGAIN on a non-blocking listener and the like: as the real accept */
    }
    int fd = server_link(trigger, flags), err = errno;
    close(trigger);
    if (fd < 0) {
        errno = err; /* iperf3 reports a failed accept and carries on with its next test */
        return -1;
    }
    if (addr && len) {
        getpeername(fd, addr, len);
    }
    return fd;
}

int accept(int lfd, struct sockaddr *addr, socklen_t *len) {
    return shim_accept(lfd, addr, len, 0);
}

int accept4(int lfd, struct sockaddr *addr, socklen_t *len, int flags) {
    return shim_accept(lfd, addr, len, flags);
}
