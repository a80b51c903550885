/*
 * The WebRoute wire bits shared by the bench's C tools (bench/c/pairload.c, bench/shim/webroute_shim.c):
 * the upgrade request, the Sec-WebRoute-Accept value and the check of a 101 head. Header-only so each tool
 * stays one gcc command. Needs libcrypto (-lcrypto, Debian libssl-dev) for SHA-1 and base64.
 *
 * Protocol: shared/protocols/webroute-and-remoted.md §1; the same bytes as bench/lib/dock.py sends.
 */
#ifndef BENCH_WEBROUTE_H
#define BENCH_WEBROUTE_H

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <openssl/evp.h>

#define WEBROUTE_GUID "BE7204BD-47E6-49EE-9B0D-016E370644B2"
#define WEBROUTE_ID_LEN 40     /* 20 random bytes in hex, as dock.py and BenchLoad send */
#define WEBROUTE_ACCEPT_LEN 28 /* base64 of a 20-byte SHA-1 */

static inline void webroute_hex_id(const unsigned char raw[20], char id[WEBROUTE_ID_LEN + 1]) {
    static const char digits[] = "0123456789abcdef";
    for (int i = 0; i < 20; i++) {
        id[2 * i] = digits[raw[i] >> 4];
        id[2 * i + 1] = digits[raw[i] & 15];
    }
    id[WEBROUTE_ID_LEN] = 0;
}

/* The upgrade request; timeout_s > 0 adds WebRoute-Timeout (idle iperf3 control connections need it). */
static inline int webroute_request(char *buf, size_t cap, const char *path, const char *host_port, const char *id,
                                   int timeout_s) {
    char timeout[48] = "";
    if (timeout_s > 0) {
        snprintf(timeout, sizeof timeout, "WebRoute-Timeout: %d\r\n", timeout_s);
    }
    int n = snprintf(buf, cap,
                     "GET %s HTTP/1.1\r\nHost: %s\r\nConnection: keep-alive, Upgrade\r\nUpgrade: webroute\r\n"
                     "WebRoute-Version: 1\r\nWebRoute-ID: %s\r\n%s\r\n",
                     path, host_port, id, timeout);
    return n > 0 && (size_t) n < cap ? n : -1;
}

/* base64(sha1(id + GUID)) */
static inline void webroute_accept(const char *id, char out[WEBROUTE_ACCEPT_LEN + 1]) {
    char in[256];
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int md_len = 0;
    int n = snprintf(in, sizeof in, "%s%s", id, WEBROUTE_GUID);
    EVP_Digest(in, (size_t) n, md, &md_len, EVP_sha1(), NULL);
    EVP_EncodeBlock((unsigned char *) out, md, (int) md_len);
}

/*
 * Checks a complete response head (through its blank line): status 101 and a Sec-WebRoute-Accept header (name
 * in any case) whose value is `accept`. Returns NULL when it is right, else what is wrong.
 */
static inline const char *webroute_check_101(const char *head, size_t len, const char *accept) {
    static const char status[] = "HTTP/1.1 101 ";
    static const char name[] = "sec-webroute-accept:";
    if (len < sizeof status - 1 || memcmp(head, status, sizeof status - 1) != 0) {
        return "not a 101";
    }
    const char *end = head + len;
    for (const char *line = memchr(head, '\n', len); line && line + 1 < end; line = memchr(line + 1, '\n', end - line - 1)) {
        const char *p = line + 1;
        if ((size_t) (end - p) < sizeof name - 1 || strncasecmp(p, name, sizeof name - 1) != 0) {
            continue;
        }
        p += sizeof name - 1;
        while (p < end && (*p == ' ' || *p == '\t')) {
            p++;
        }
        const char *v = p;
        while (p < end && *p != '\r' && *p != '\n') {
            p++;
        }
        while (p > v && isspace((unsigned char) p[-1])) {
            p--;
        }
        return (size_t) (p - v) == strlen(accept) && memcmp(v, accept, (size_t) (p - v)) == 0
                   ? NULL : "wrong Sec-WebRoute-Accept";
    }
    return "no Sec-WebRoute-Accept";
}

#endif
