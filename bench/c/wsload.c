// wsload: the raw-socket bridge bench's load client and targets, in one small C program so that the client
// costs far less than the bridge it measures (rawsocket suite, bench/lib/rawsocket.py).
//
//   wsload source PORT                         TCP target: sends bytes to every connection until it goes
//   wsload echo PORT                           TCP target: echoes every connection
//   wsload bulk HOST PORT PATH SECONDS STREAMS WebSocket clients reading a bulk stream (the target sends):
//                                              1 s warm-up, prints MEASURING, then {"bytes","seconds"}
//   wsload sink PORT                           TCP target: reads and drops everything
//   wsload upload HOST PORT PATH SECONDS STREAMS  WebSocket clients sending a bulk stream of 64 KiB binary
//                                              messages (masked once, sent again and again: the client pays no
//                                              masking per byte); output as for bulk, counting bytes written
//   wsload rtt HOST PORT PATH COUNT WARMUP SIZE one WebSocket, SIZE-byte messages ping-pong through an echo:
//                                              prints {"p50_us","p99_us","mean_us","count"}
//
// The client offers the "binary" subprotocol; both websockify and Isthmus select it. Server frames are
// unmasked, so reading costs the client only frame headers and a read() per buffer.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static void die(const char *what) {
    perror(what);
    exit(1);
}

static int listen_on(int port) {
    int s = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (bind(s, (struct sockaddr *) &a, sizeof a) < 0 || listen(s, 128) < 0) die("listen");
    return s;
}

static void *source_conn(void *arg) {
    int c = (int) (intptr_t) arg;
    static char buf[256 * 1024];
    while (write(c, buf, sizeof buf) > 0) {
    }
    close(c);
    return NULL;
}

static void *sink_conn(void *arg) {
    int c = (int) (intptr_t) arg;
    static char buf[512 * 1024];
    while (read(c, buf, sizeof buf) > 0) {
    }
    close(c);
    return NULL;
}

static void *echo_conn(void *arg) {
    int c = (int) (intptr_t) arg, one = 1;
    setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    char buf[64 * 1024];
    ssize_t n;
    while ((n = read(c, buf, sizeof buf)) > 0) {
        for (ssize_t off = 0; off < n;) {
            ssize_t w = write(c, buf + off, n - off);
            if (w <= 0) goto out;
            off += w;
        }
    }
out:
    close(c);
    return NULL;
}

static int serve(int port, void *(*conn)(void *)) {
    signal(SIGPIPE, SIG_IGN);
    int s = listen_on(port);
    while (s >= 0) {
        int c = accept(s, NULL, NULL);
        if (c < 0) continue;
        pthread_t t;
        pthread_create(&t, NULL, conn, (void *) (intptr_t) c);
        pthread_detach(t);
    }
    return 1;
}

static int ws_connect(const char *host, int port, const char *path) {
    int s = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
    inet_pton(AF_INET, host, &a.sin_addr);
    if (connect(s, (struct sockaddr *) &a, sizeof a) < 0) die("connect");
    setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    char req[1024];
    int n = snprintf(req, sizeof req,
                     "GET %s HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                     "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
                     "Sec-WebSocket-Protocol: binary\r\n\r\n", path, host, port);
    if (write(s, req, n) != n) die("write handshake");
    // Read the response head byte by byte: nothing behind it may be consumed here.
    char head[4096];
    int len = 0;
    while (len < (int) sizeof head - 1) {
        if (read(s, head + len, 1) != 1) die("read handshake");
        len++;
        if (len >= 4 && memcmp(head + len - 4, "\r\n\r\n", 4) == 0) break;
    }
    head[len] = 0;
    if (strncmp(head, "HTTP/1.1 101", 12) != 0) {
        fprintf(stderr, "handshake refused: %s\n", head);
        exit(1);
    }
    return s;
}

// A frame reader over a large buffer: payload bytes are counted, never copied.
typedef struct {
    int fd;
    unsigned char buf[512 * 1024];
    size_t start, end;
    uint64_t left;       // payload bytes of the current frame still to come
    uint64_t payload;    // payload bytes read in all
    int closed;
} reader;

static int fill(reader *r) {
    if (r->start == r->end) r->start = r->end = 0;
    if (r->end == sizeof r->buf) {
        memmove(r->buf, r->buf + r->start, r->end - r->start);
        r->end -= r->start;
        r->start = 0;
    }
    ssize_t n = read(r->fd, r->buf + r->end, sizeof r->buf - r->end);
    if (n <= 0) return -1;
    r->end += n;
    return 0;
}

// Consumes what is buffered; returns payload bytes consumed, or -1 once a Close frame came.
static int64_t consume(reader *r) {
    int64_t got = 0;
    for (;;) {
        size_t have = r->end - r->start;
        if (r->left > 0) {
            size_t take = have < r->left ? have : r->left;
            r->start += take;
            r->left -= take;
            got += take;
            if (r->left > 0) return got;
            continue;
        }
        if (have < 2) return got;
        unsigned char *p = r->buf + r->start;
        int op = p[0] & 0x0f;
        uint64_t n = p[1] & 0x7f;
        size_t hl = 2;
        if (n == 126) {
            if (have < 4) return got;
            n = ((uint64_t) p[2] << 8) | p[3];
            hl = 4;
        } else if (n == 127) {
            if (have < 10) return got;
            n = 0;
            for (int i = 0; i < 8; i++) n = (n << 8) | p[2 + i];
            hl = 10;
        }
        if (op == 8) {
            r->closed = 1;
            return got > 0 ? got : -1;
        }
        r->start += hl;
        r->left = n;
    }
}

typedef struct {
    const char *host, *path;
    int port;
    atomic_uint_least64_t bytes;
    volatile int stop;
} bulk_job;

static void *bulk_stream(void *arg) {
    bulk_job *j = arg;
    reader *r = calloc(1, sizeof *r);
    r->fd = ws_connect(j->host, j->port, j->path);
    while (!j->stop) {
        if (fill(r) < 0) break;
        int64_t got = consume(r);
        if (got < 0 || r->closed) break;
        atomic_fetch_add(&j->bytes, (uint64_t) got);
    }
    close(r->fd);
    free(r);
    return NULL;
}

#define UPLOAD_PAYLOAD (64 * 1024)

static void *upload_stream(void *arg) {
    bulk_job *j = arg;
    int fd = ws_connect(j->host, j->port, j->path);
    // Sixteen frames in one buffer, masked once with a non-zero key: the relay unmasks every byte.
    size_t flen = 10 + 4 + UPLOAD_PAYLOAD, n = 16;
    unsigned char *buf = malloc(flen * n);
    unsigned char key[4] = {0x12, 0x34, 0x56, 0x78};
    for (size_t f = 0; f < n; f++) {
        unsigned char *p = buf + f * flen;
        p[0] = 0x82;
        p[1] = 0x80 | 127;
        uint64_t len = UPLOAD_PAYLOAD;
        for (int i = 0; i < 8; i++) p[2 + i] = (unsigned char) (len >> (56 - 8 * i));
        memcpy(p + 10, key, 4);
        for (size_t i = 0; i < UPLOAD_PAYLOAD; i++) p[14 + i] = (unsigned char) ((i * 31) ^ key[i & 3]);
    }
    while (!j->stop) {
        ssize_t w = write(fd, buf, flen * n);
        if (w <= 0) break;
        // Whole frames only: finish a partial write before counting.
        size_t done = (size_t) w;
        while (done < flen * n) {
            ssize_t more = write(fd, buf + done, flen * n - done);
            if (more <= 0) goto out;
            done += (size_t) more;
        }
        atomic_fetch_add(&j->bytes, (uint64_t) UPLOAD_PAYLOAD * n);
    }
out:
    close(fd);
    free(buf);
    return NULL;
}

static int bulk(const char *host, int port, const char *path, double seconds, int streams, int upload) {
    bulk_job job = {.host = host, .path = path, .port = port};
    pthread_t *t = calloc(streams, sizeof *t);
    signal(SIGPIPE, SIG_IGN);
    for (int i = 0; i < streams; i++) pthread_create(&t[i], NULL, upload ? upload_stream : bulk_stream, &job);
    struct timespec warm = {1, 0};
    nanosleep(&warm, NULL);
    printf("MEASURING\n");
    fflush(stdout);
    uint64_t b0 = atomic_load(&job.bytes);
    double t0 = now();
    struct timespec rest = {(time_t) seconds, (long) ((seconds - (time_t) seconds) * 1e9)};
    nanosleep(&rest, NULL);
    uint64_t b1 = atomic_load(&job.bytes);
    double t1 = now();
    printf("{\"bytes\": %llu, \"seconds\": %.4f, \"streams\": %d}\n", (unsigned long long) (b1 - b0), t1 - t0, streams);
    fflush(stdout);
    job.stop = 1;
    _exit(0);
}

static int cmp(const void *a, const void *b) {
    double x = *(const double *) a, y = *(const double *) b;
    return x < y ? -1 : x > y;
}

static int rtt(const char *host, int port, const char *path, int count, int warmup, int size) {
    int s = ws_connect(host, port, path);
    unsigned char *frame = malloc(size + 14);
    size_t hl = 2;
    frame[0] = 0x82;
    if (size < 126) {
        frame[1] = 0x80 | size;
    } else {
        frame[1] = 0x80 | 126;
        frame[2] = size >> 8;
        frame[3] = size & 0xff;
        hl = 4;
    }
    memset(frame + hl, 0, 4);  // mask 0: masked frames, payload unchanged
    memset(frame + hl + 4, 'x', size);
    size_t flen = hl + 4 + size;
    reader *r = calloc(1, sizeof *r);
    r->fd = s;
    double *lat = malloc(sizeof(double) * count);
    for (int i = 0; i < warmup + count; i++) {
        double t0 = now();
        if (write(s, frame, flen) != (ssize_t) flen) die("write");
        int64_t got = 0;
        while (got < size) {
            int64_t g = consume(r);
            if (g < 0) die("closed");
            got += g;
            if (got < size && fill(r) < 0) die("read");
        }
        if (i >= warmup) lat[i - warmup] = (now() - t0) * 1e6;
    }
    qsort(lat, count, sizeof *lat, cmp);
    double sum = 0;
    for (int i = 0; i < count; i++) sum += lat[i];
    printf("{\"p50_us\": %.1f, \"p99_us\": %.1f, \"mean_us\": %.1f, \"count\": %d}\n", lat[count / 2],
           lat[(int) (count * 0.99)], sum / count, count);
    return 0;
}

int main(int argc, char **argv) {
    if (argc >= 3 && !strcmp(argv[1], "source")) return serve(atoi(argv[2]), source_conn);
    if (argc >= 3 && !strcmp(argv[1], "echo")) return serve(atoi(argv[2]), echo_conn);
    if (argc >= 3 && !strcmp(argv[1], "sink")) return serve(atoi(argv[2]), sink_conn);
    if (argc >= 7 && !strcmp(argv[1], "bulk")) return bulk(argv[2], atoi(argv[3]), argv[4], atof(argv[5]), atoi(argv[6]), 0);
    if (argc >= 7 && !strcmp(argv[1], "upload")) return bulk(argv[2], atoi(argv[3]), argv[4], atof(argv[5]), atoi(argv[6]), 1);
    if (argc >= 8 && !strcmp(argv[1], "rtt"))
        return rtt(argv[2], atoi(argv[3]), argv[4], atoi(argv[5]), atoi(argv[6]), atoi(argv[7]));
    fprintf(stderr, "usage: see the comment at the top of wsload.c\n");
    return 2;
}
