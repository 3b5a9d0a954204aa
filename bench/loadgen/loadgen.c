/*
 * loadgen: the receiving and sending side of roomcast's benchmark, one thread on epoll.
 *
 * Python drives it over stdin, one command a line, and reads one JSON object a line back:
 *
 *   open N ROOMS KIND TIMEOUT     open N WebSocket clients spread over rooms r0..r(ROOMS-1);
 *                                 KIND is read (counted reader), idle (reads, never sends) or
 *                                 slow (reads its handshake and first frames, then stops reading)
 *   step RATE WARM MEASURE DRAIN NSENDERS
 *                                 send RATE messages/s round-robin from the first NSENDERS readers
 *                                 (0 = all) and measure delivery and latency of the messages sent
 *                                 in the MEASURE window at every reader of the sender's room
 *   quiet MAXSECS                 wait until no frame arrived for 300 ms (at most MAXSECS)
 *   resume                        slow clients start reading again
 *   stats                         counts: open clients, close codes, userlist frames and bytes
 *   reset                         zero the userlist and frame counters
 *   churn CONC SECS               CONC workers loop: connect, send one line, see it come back,
 *                                 close; report completed cycles per second
 *   wait SECS                     keep serving events for SECS
 *   closeall TIMEOUT              close every client with 1000 and wait for the server's close
 *   quit
 *
 * A message is text "RCB<step>|<phase>|<send time ns>|xxx..." base64-encoded in the JSON field
 * "Message" (roomcast's wire format); the receiver finds "Message" in any text frame, decodes the
 * prefix and records latency against CLOCK_MONOTONIC. The same code reads every server; the only
 * per-server difference is --proto sio (Socket.IO's Engine.IO packets around the same JSON).
 * Every loop is bounded by the command's own time limit; the only address used is --host.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAXCONN 24000
#define MAXROOMS 24000
#define RBUF (1 << 20)
#define OUTCAP (4 << 20)
#define MAXCONNECTING 256
#define HBUCKETS (256 + 64 * 128)

enum { K_READ = 0, K_IDLE = 1, K_SLOW = 2, K_CHURN = 3, NKINDS = 4 };
static const char *KIND_NAMES[NKINDS] = {"read", "idle", "slow", "churn"};
enum { S_FREE = 0, S_CONNECTING, S_HANDSHAKE, S_OPEN, S_READY, S_CLOSING, S_DONE };
enum { HOW_OPEN = 0, HOW_CLOSE_FRAME, HOW_EOF, HOW_ERROR };

typedef struct {
    int fd, state, kind, room, nick, paused, registered_out, registered_in;
    int close_code, how, churn_state;
    uint64_t churn_t0, churn_tag;
    char *in;
    size_t inlen;
    char *out;
    size_t outlen, outoff;
} Conn;

typedef struct {
    uint64_t n, b[HBUCKETS];
} Hist;

static Conn conns[MAXCONN];
static int nconns;        /* high-water index */
static int free_list[MAXCONN], nfree;
static int epfd;
static char rbuf[RBUF + 64];
static const char *host = "127.0.0.1";
static int port = 8000;
static const char *path_tmpl = "/ws?room=%R&nick=%N";
static int proto_sio = 0;
static const char *ready_token = NULL;
static int msg_len = 48;
static int slow_rcvbuf = 4096;
static int nick_counter = 0;
static struct sockaddr_in server_addr;

/* counters */
static uint64_t frames_in, bytes_in, userlist_frames[NKINDS], userlist_bytes[NKINDS];
static uint64_t presence_frames[NKINDS], presence_bytes[NKINDS];
static uint64_t other_msgs;
/* current step */
static uint32_t cur_step = 0;
static uint64_t step_received, step_late_other;
static Hist step_hist, churn_hist;
static uint64_t last_frame_ns;
/* churn */
static int churn_active = 0, churn_rooms_base = 0;
static uint64_t churn_done, churn_failed, churn_tag_counter;
/* pending opens */
static int pending_open = 0, pending_rooms = 1, pending_kind = 0, pending_index = 0, connecting = 0;

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static double cpu_secs(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec +
           ru.ru_stime.tv_usec / 1e6;
}

static void out(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
    fflush(stdout);
}

/* ---- histogram: 1 us resolution below 256 us, then 128 sub-buckets per octave ---- */
static int hbucket(uint64_t v) {
    if (v < 256) return (int)v;
    int msb = 63 - __builtin_clzll(v);
    int shift = msb - 7;
    int idx = 256 + (shift - 1) * 128 + (int)((v >> shift) - 128);
    return idx < HBUCKETS ? idx : HBUCKETS - 1;
}
static uint64_t hvalue(int idx) {
    if (idx < 256) return (uint64_t)idx;
    int shift = (idx - 256) / 128 + 1;
    uint64_t sub = (uint64_t)((idx - 256) % 128) + 128;
    return (sub << shift) + ((1ull << shift) >> 1); /* bucket middle */
}
static void hadd(Hist *h, uint64_t us) {
    h->b[hbucket(us)]++;
    h->n++;
}
static double hpct(const Hist *h, double p) {
    if (h->n == 0) return -1;
    uint64_t want = (uint64_t)(p * (double)h->n);
    if (want >= h->n) want = h->n - 1;
    uint64_t seen = 0;
    for (int i = 0; i < HBUCKETS; i++) {
        seen += h->b[i];
        if (seen > want) return hvalue(i) / 1000.0;
    }
    return -1;
}
static double hmax(const Hist *h) {
    for (int i = HBUCKETS - 1; i >= 0; i--)
        if (h->b[i]) return hvalue(i) / 1000.0;
    return -1;
}

/* ---- base64 ---- */
static const char B64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static int8_t B64INV[256];
static size_t b64enc(const unsigned char *src, size_t n, char *dst) {
    size_t o = 0, i = 0;
    for (; i + 2 < n; i += 3) {
        uint32_t v = (uint32_t)src[i] << 16 | (uint32_t)src[i + 1] << 8 | src[i + 2];
        dst[o++] = B64[v >> 18];
        dst[o++] = B64[(v >> 12) & 63];
        dst[o++] = B64[(v >> 6) & 63];
        dst[o++] = B64[v & 63];
    }
    if (i < n) {
        uint32_t v = (uint32_t)src[i] << 16 | (i + 1 < n ? (uint32_t)src[i + 1] << 8 : 0);
        dst[o++] = B64[v >> 18];
        dst[o++] = B64[(v >> 12) & 63];
        dst[o++] = i + 1 < n ? B64[(v >> 6) & 63] : '=';
        dst[o++] = '=';
    }
    return o;
}
/* decode at most max_out bytes from the start of src (stops at a non-base64 char) */
static size_t b64dec_prefix(const char *src, size_t n, unsigned char *dst, size_t max_out) {
    size_t o = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < n && o < max_out; i++) {
        int8_t v = B64INV[(unsigned char)src[i]];
        if (v < 0) break;
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            dst[o++] = (unsigned char)(acc >> bits);
        }
    }
    return o;
}

/* ---- connections ---- */
static int conn_alloc(void) {
    if (nfree > 0) return free_list[--nfree];
    if (nconns >= MAXCONN) return -1;
    return nconns++;
}

static void ep_update(int i) {
    Conn *c = &conns[i];
    uint32_t ev = 0;
    if (!c->paused || c->state < S_READY) ev |= EPOLLIN;
    if (c->outlen > c->outoff || c->state == S_CONNECTING) ev |= EPOLLOUT;
    int want = ev != 0;
    struct epoll_event e = {.events = ev, .data.u32 = (uint32_t)i};
    if (!want) {
        if (c->registered_in) epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, NULL);
        c->registered_in = 0;
        c->registered_out = 0;
        return;
    }
    if (c->registered_in)
        epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &e);
    else
        epoll_ctl(epfd, EPOLL_CTL_ADD, c->fd, &e);
    c->registered_in = 1;
    c->registered_out = (ev & EPOLLOUT) != 0;
}

static void churn_cycle_end(int i, int ok);

static void conn_finish(int i, int how) {
    Conn *c = &conns[i];
    if (c->state == S_FREE || c->state == S_DONE) return;
    if (c->state == S_CONNECTING || c->state == S_HANDSHAKE || c->state == S_OPEN) connecting--;
    if (c->registered_in) epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    c->fd = -1;
    c->registered_in = c->registered_out = 0;
    if (c->how == HOW_OPEN) c->how = how;
    c->state = S_DONE;
    free(c->in);
    c->in = NULL;
    c->inlen = 0;
    free(c->out);
    c->out = NULL;
    c->outlen = c->outoff = 0;
    if (c->kind == K_CHURN) {
        churn_cycle_end(i, c->churn_state == 2 && how != HOW_ERROR);
    }
}

static int conn_write(int i, const char *data, size_t len) {
    Conn *c = &conns[i];
    if (c->state < S_HANDSHAKE || c->state == S_DONE) return -1;
    if (c->outlen == c->outoff) {
        c->outlen = c->outoff = 0;
        ssize_t n = write(c->fd, data, len);
        if (n == (ssize_t)len) return 0;
        if (n < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK) {
                conn_finish(i, HOW_ERROR);
                return -1;
            }
            n = 0;
        }
        data += n;
        len -= (size_t)n;
    }
    if (c->outlen + len > OUTCAP) return -1;
    if (!c->out) c->out = malloc(OUTCAP);
    if (!c->out) return -1;
    if (c->outoff > 0 && c->outlen + len > OUTCAP / 2) {
        memmove(c->out, c->out + c->outoff, c->outlen - c->outoff);
        c->outlen -= c->outoff;
        c->outoff = 0;
    }
    memcpy(c->out + c->outlen, data, len);
    c->outlen += len;
    if (!c->registered_out) ep_update(i);
    return 0;
}

static uint32_t mask_state = 0x9e3779b9u;
/* send one masked client frame with the given opcode */
static int send_frame(int i, int opcode, const char *payload, size_t len) {
    char buf[16 + 8192];
    if (len > 8192) return -1;
    size_t h = 0;
    buf[h++] = (char)(0x80 | opcode);
    if (len < 126) {
        buf[h++] = (char)(0x80 | len);
    } else {
        buf[h++] = (char)(0x80 | 126);
        buf[h++] = (char)(len >> 8);
        buf[h++] = (char)(len & 0xff);
    }
    mask_state ^= mask_state << 13;
    mask_state ^= mask_state >> 17;
    mask_state ^= mask_state << 5;
    unsigned char key[4];
    memcpy(key, &mask_state, 4);
    memcpy(buf + h, key, 4);
    h += 4;
    for (size_t k = 0; k < len; k++) buf[h + k] = (char)(payload[k] ^ key[k & 3]);
    return conn_write(i, buf, h + len);
}

static int send_text(int i, const char *payload, size_t len) { return send_frame(i, 1, payload, len); }

static void send_close(int i, int code) {
    char p[2] = {(char)(code >> 8), (char)(code & 0xff)};
    send_frame(i, 8, p, 2);
}

/* build {"Message":"<b64 text>","Author":"u<nick>"} (inside 42["chat",...] for Socket.IO) */
static int send_chat(int i, const char *text, size_t tlen) {
    static char json[8192];
    size_t o = 0;
    if (proto_sio) {
        memcpy(json, "42[\"chat\",", 10);
        o = 10;
    }
    memcpy(json + o, "{\"Message\":\"", 12);
    o += 12;
    o += b64enc((const unsigned char *)text, tlen, json + o);
    o += (size_t)snprintf(json + o, sizeof json - o, "\",\"Author\":\"u%d\"}%s", conns[i].nick,
                          proto_sio ? "]" : "");
    return send_text(i, json, o);
}

static void start_connect(int kind, int room) {
    int i = conn_alloc();
    if (i < 0) return;
    Conn *c = &conns[i];
    memset(c, 0, sizeof *c);
    c->kind = kind;
    c->room = room;
    c->nick = ++nick_counter;
    c->close_code = -1;
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c->fd < 0) {
        c->state = S_DONE;
        c->how = HOW_ERROR;
        return;
    }
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (kind == K_SLOW) setsockopt(c->fd, SOL_SOCKET, SO_RCVBUF, &slow_rcvbuf, sizeof slow_rcvbuf);
    c->state = S_CONNECTING;
    connecting++;
    if (kind == K_CHURN) c->churn_t0 = now_ns();
    int r = connect(c->fd, (struct sockaddr *)&server_addr, sizeof server_addr);
    if (r < 0 && errno != EINPROGRESS) {
        conn_finish(i, HOW_ERROR);
        return;
    }
    ep_update(i);
}

static void send_handshake(int i) {
    Conn *c = &conns[i];
    char path[512], req[1024];
    size_t o = 0;
    for (const char *p = path_tmpl; *p && o < sizeof path - 32; p++) {
        if (p[0] == '%' && p[1] == 'R') {
            o += (size_t)snprintf(path + o, sizeof path - o, c->kind == K_CHURN ? "c%d" : "r%d",
                                  c->room);
            p++;
        } else if (p[0] == '%' && p[1] == 'N') {
            o += (size_t)snprintf(path + o, sizeof path - o, "u%d", c->nick);
            p++;
        } else {
            path[o++] = *p;
        }
    }
    path[o] = 0;
    int n = snprintf(req, sizeof req,
                     "GET %s HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\n"
                     "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                     "Sec-WebSocket-Version: 13\r\n\r\n",
                     path, host, port);
    c->state = S_HANDSHAKE;
    conn_write(i, req, (size_t)n);
}

static void became_ready(int i) {
    Conn *c = &conns[i];
    if (c->state != S_OPEN) return;
    c->state = S_READY;
    connecting--;
    if (c->kind == K_SLOW) {
        c->paused = 1;
        ep_update(i);
    }
    if (c->kind == K_CHURN) {
        char text[128];
        c->churn_tag = ++churn_tag_counter;
        int n = snprintf(text, sizeof text, "RCC%llu|xxxxxxxxxxxxxxxx", (unsigned long long)c->churn_tag);
        c->churn_state = 1;
        send_chat(i, text, (size_t)n);
    }
}

static void handle_message_text(int i, const char *p, size_t n) {
    /* find "Message", then the string value after optional spaces and a colon */
    const char *m = memmem(p, n, "\"Message\"", 9);
    if (!m) return;
    const char *end = p + n;
    m += 9;
    while (m < end && (*m == ' ' || *m == ':')) m++;
    if (m >= end || *m != '"') return;
    m++;
    unsigned char txt[48];
    size_t got = b64dec_prefix(m, (size_t)(end - m), txt, sizeof txt - 1);
    txt[got] = 0;
    if (got < 4 || txt[0] != 'R' || txt[1] != 'C') return;
    if (txt[2] == 'B') {
        char *q;
        unsigned long step = strtoul((char *)txt + 3, &q, 10);
        if (*q != '|') return;
        unsigned long phase = strtoul(q + 1, &q, 10);
        if (*q != '|') return;
        unsigned long long ts = strtoull(q + 1, &q, 10);
        if (step == cur_step && phase == 1) {
            uint64_t t = now_ns();
            step_received++;
            hadd(&step_hist, t > ts ? (t - ts) / 1000 : 0);
        } else {
            step_late_other++;
        }
    } else if (txt[2] == 'C') {
        Conn *c = &conns[i];
        unsigned long long tag = strtoull((char *)txt + 3, NULL, 10);
        if (c->kind == K_CHURN && c->churn_state == 1 && tag == c->churn_tag) {
            c->churn_state = 2;
            send_close(i, 1000);
            c->state = S_CLOSING;
        }
    } else {
        other_msgs++;
    }
}

static void handle_frame(int i, int opcode, char *p, size_t n) {
    Conn *c = &conns[i];
    frames_in++;
    bytes_in += n;
    last_frame_ns = now_ns();
    if (opcode == 1 || opcode == 0 || opcode == 2) {
        if (proto_sio) {
            if (n == 1 && p[0] == '2') {
                send_text(i, "3", 1);
                return;
            }
            if (n >= 1 && p[0] == '0') {
                send_text(i, "40", 2);
                return;
            }
            if (n >= 2 && p[0] == '4' && p[1] == '0') {
                became_ready(i);
                return;
            }
        } else if (c->state == S_OPEN && ready_token && memmem(p, n, ready_token, strlen(ready_token))) {
            became_ready(i);
        }
        if (n > 16 && memmem(p, n < 64 ? n : 64, "\"userlist\"", 10)) {
            userlist_frames[c->kind]++;
            userlist_bytes[c->kind] += n;
            return;
        }
        if (n > 16 && memmem(p, n < 64 ? n : 64, "\"Presence\"", 10)) {
            presence_frames[c->kind]++;
            presence_bytes[c->kind] += n;
            return;
        }
        handle_message_text(i, p, n);
    } else if (opcode == 8) {
        c->close_code = n >= 2 ? ((unsigned char)p[0] << 8 | (unsigned char)p[1]) : 1005;
        c->how = HOW_CLOSE_FRAME;
        if (c->state != S_CLOSING) send_close(i, 1000);
        conn_finish(i, HOW_CLOSE_FRAME);
    } else if (opcode == 9) {
        send_frame(i, 10, p, n);
    }
}

/* parse complete frames in buf; returns bytes consumed */
static size_t parse_frames(int i, char *buf, size_t len) {
    size_t off = 0;
    while (len - off >= 2) {
        unsigned char b0 = (unsigned char)buf[off], b1 = (unsigned char)buf[off + 1];
        size_t plen = b1 & 0x7f, h = 2;
        if (plen == 126) {
            if (len - off < 4) break;
            plen = (size_t)((unsigned char)buf[off + 2] << 8 | (unsigned char)buf[off + 3]);
            h = 4;
        } else if (plen == 127) {
            if (len - off < 10) break;
            plen = 0;
            for (int k = 0; k < 8; k++) plen = (plen << 8) | (unsigned char)buf[off + 2 + k];
            h = 10;
        }
        int masked = b1 & 0x80;
        if (masked) h += 4;
        if (plen > RBUF / 2) {
            conn_finish(i, HOW_ERROR);
            return len;
        }
        if (len - off < h + plen) break;
        char *payload = buf + off + h;
        if (masked) {
            unsigned char *key = (unsigned char *)buf + off + h - 4;
            for (size_t k = 0; k < plen; k++) payload[k] ^= key[k & 3];
        }
        handle_frame(i, b0 & 0x0f, payload, plen);
        off += h + plen;
        if (conns[i].state == S_DONE) return len;
    }
    return off;
}

static void on_readable(int i) {
    for (int round = 0; round < 4; round++) {
        Conn *c = &conns[i];
        if (c->state == S_DONE || (c->paused && c->state >= S_READY)) return;
        size_t have = c->inlen;
        if (have) memcpy(rbuf, c->in, have);
        ssize_t n = read(c->fd, rbuf + have, RBUF - have);
        if (n == 0) {
            conn_finish(i, HOW_EOF);
            return;
        }
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK) return;
            conn_finish(i, HOW_ERROR);
            return;
        }
        size_t len = have + (size_t)n, off = 0;
        if (c->state == S_HANDSHAKE) {
            char *e = memmem(rbuf, len, "\r\n\r\n", 4);
            if (!e) {
                if (len > 8192) {
                    conn_finish(i, HOW_ERROR);
                    return;
                }
                c->in = realloc(c->in, len);
                memcpy(c->in, rbuf, len);
                c->inlen = len;
                continue;
            }
            if (len < 12 || memcmp(rbuf + 9, "101", 3) != 0) {
                conn_finish(i, HOW_ERROR);
                return;
            }
            off = (size_t)(e - rbuf) + 4;
            c->state = S_OPEN;
            if (!proto_sio && !ready_token) became_ready(i);
        }
        off += parse_frames(i, rbuf + off, len - off);
        c = &conns[i];
        if (c->state == S_DONE) return;
        size_t rest = len - off;
        if (rest) {
            char *nb = realloc(c->in, rest);
            if (!nb) {
                conn_finish(i, HOW_ERROR);
                return;
            }
            c->in = nb;
            memcpy(c->in, rbuf + off, rest);
        } else if (c->in) {
            free(c->in);
            c->in = NULL;
        }
        c->inlen = rest;
        if ((size_t)n < RBUF - have) return; /* drained the socket */
    }
}

static void on_writable(int i) {
    Conn *c = &conns[i];
    if (c->state == S_CONNECTING) {
        int err = 0;
        socklen_t l = sizeof err;
        getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &l);
        if (err) {
            conn_finish(i, HOW_ERROR);
            return;
        }
        send_handshake(i);
        ep_update(i);
        return;
    }
    while (c->outlen > c->outoff) {
        ssize_t n = write(c->fd, c->out + c->outoff, c->outlen - c->outoff);
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK) break;
            conn_finish(i, HOW_ERROR);
            return;
        }
        c->outoff += (size_t)n;
    }
    if (c->outlen == c->outoff) {
        c->outlen = c->outoff = 0;
        ep_update(i);
    }
}

static void poll_once(int timeout_ms) {
    /* start pending connects, at most MAXCONNECTING handshakes in flight */
    while (pending_open > 0 && connecting < MAXCONNECTING) {
        int room = pending_index % pending_rooms;
        pending_index++;
        pending_open--;
        start_connect(pending_kind, room);
    }
    static struct epoll_event evs[1024];
    int n = epoll_wait(epfd, evs, 1024, timeout_ms);
    for (int k = 0; k < n; k++) {
        int i = (int)evs[k].data.u32;
        uint32_t e = evs[k].events;
        if (conns[i].state == S_DONE || conns[i].state == S_FREE) continue;
        if (e & EPOLLOUT) on_writable(i);
        if (conns[i].state == S_DONE) continue;
        if (e & (EPOLLIN | EPOLLHUP | EPOLLERR)) on_readable(i);
    }
}

static void reclaim_done(void) {
    for (int i = 0; i < nconns; i++)
        if (conns[i].state == S_DONE && conns[i].kind == K_CHURN) {
            conns[i].state = S_FREE;
            free_list[nfree++] = i;
        }
}

/* ---- commands ---- */
static int count_state(int kind, int state) {
    int n = 0;
    for (int i = 0; i < nconns; i++)
        if (conns[i].kind == kind && conns[i].state == state) n++;
    return n;
}

static void cmd_open(int n, int rooms, const char *kind, double timeout) {
    int k = K_READ;
    for (int j = 0; j < NKINDS; j++)
        if (strcmp(kind, KIND_NAMES[j]) == 0) k = j;
    int before_ready = count_state(k, S_READY);
    int base = nconns;
    pending_open = n;
    pending_rooms = rooms > 0 ? rooms : 1;
    pending_kind = k;
    pending_index = 0;
    uint64_t t0 = now_ns(), deadline = t0 + (uint64_t)(timeout * 1e9);
    double c0 = cpu_secs();
    int ready = 0, failed = 0;
    while (now_ns() < deadline) {
        poll_once(5);
        if (pending_open == 0) {
            int pending = 0;
            for (int i = base; i < nconns && !pending; i++)
                if (conns[i].kind == k && conns[i].state != S_READY && conns[i].state != S_DONE)
                    pending = 1;
            if (!pending) break;
        }
    }
    for (int i = base; i < nconns; i++) {
        if (conns[i].kind != k) continue;
        if (conns[i].state == S_READY) ready++;
        else if (conns[i].state == S_DONE) failed++;
    }
    double secs = (now_ns() - t0) / 1e9;
    pending_open = 0;
    out("{\"cmd\":\"open\",\"kind\":\"%s\",\"ready\":%d,\"failed\":%d,\"total_ready\":%d,"
        "\"secs\":%.3f,\"gen_cpu\":%.3f}",
        kind, ready, failed, before_ready + ready, secs, (cpu_secs() - c0) / (secs > 0 ? secs : 1));
}

static void cmd_step(double rate, double warm, double measure, double drain, int nsenders) {
    static int senders[MAXCONN];
    static uint32_t weight[MAXCONN];
    static uint32_t room_readers[MAXROOMS];
    memset(room_readers, 0, sizeof room_readers);
    int ns = 0;
    for (int i = 0; i < nconns; i++)
        if (conns[i].kind == K_READ && conns[i].state == S_READY && conns[i].room < MAXROOMS)
            room_readers[conns[i].room]++;
    for (int i = 0; i < nconns && (nsenders == 0 || ns < nsenders); i++)
        if (conns[i].kind == K_READ && conns[i].state == S_READY) senders[ns++] = i;
    for (int s = 0; s < ns; s++) weight[s] = room_readers[conns[senders[s]].room];
    cur_step++;
    step_received = 0;
    step_late_other = 0;
    memset(&step_hist, 0, sizeof step_hist);
    uint64_t sent = 0, sent_measure = 0, dropped = 0, expected = 0;
    uint64_t t0 = now_ns();
    uint64_t t_measure = t0 + (uint64_t)(warm * 1e9);
    uint64_t t_stop = t_measure + (uint64_t)(measure * 1e9);
    uint64_t t_drain = t_stop + (uint64_t)(drain * 1e9);
    double c_start = 0, c_end = 0;
    int rr = 0, measuring = 0;
    static char text[4096];
    if (msg_len > 3000) msg_len = 3000;
    while (ns > 0) {
        uint64_t t = now_ns();
        if (t >= t_stop) break;
        if (!measuring && t >= t_measure) {
            measuring = 1;
            c_start = cpu_secs();
        }
        uint64_t due = (uint64_t)(rate * (double)(t - t0) / 1e9);
        int burst = 0;
        while (sent < due && burst < 20000) {
            int phase = t >= t_measure ? 1 : 0;
            int len = snprintf(text, sizeof text, "RCB%u|%d|%llu|", cur_step, phase,
                               (unsigned long long)now_ns());
            while (len < msg_len) text[len++] = 'x';
            int s = rr;
            rr = (rr + 1) % ns;
            sent++;
            burst++;
            if (send_chat(senders[s], text, (size_t)len) != 0) {
                dropped++;
                continue;
            }
            if (phase) {
                sent_measure++;
                expected += weight[s];
            }
        }
        poll_once(1);
    }
    c_end = cpu_secs();
    uint64_t t_measured = now_ns();
    double measured_secs = t_measured > t_measure ? (t_measured - t_measure) / 1e9 : 0;
    while (now_ns() < t_drain && step_received < expected) poll_once(2);
    double gen_cpu = measuring ? (c_end - c_start) / measured_secs : 0;
    double delivery = expected ? (double)step_received / (double)expected : 0;
    int open_readers = count_state(K_READ, S_READY);
    out("{\"cmd\":\"step\",\"step\":%u,\"rate\":%.1f,\"senders\":%d,\"sent\":%llu,"
        "\"sent_measure\":%llu,\"dropped\":%llu,\"expected\":%llu,\"received\":%llu,"
        "\"delivery\":%.6f,\"measure_secs\":%.4f,\"delivered_per_sec\":%.1f,"
        "\"p50\":%.3f,\"p90\":%.3f,\"p99\":%.3f,\"p999\":%.3f,\"max\":%.3f,\"gen_cpu\":%.3f,"
        "\"open_readers\":%d,\"stray\":%llu}",
        cur_step, rate, ns, (unsigned long long)sent, (unsigned long long)sent_measure,
        (unsigned long long)dropped, (unsigned long long)expected,
        (unsigned long long)step_received, delivery, measured_secs,
        step_received / (measured_secs > 0 ? measured_secs : 1), hpct(&step_hist, 0.5),
        hpct(&step_hist, 0.9), hpct(&step_hist, 0.99), hpct(&step_hist, 0.999), hmax(&step_hist),
        gen_cpu, open_readers, (unsigned long long)step_late_other);
}

static void cmd_quiet(double maxsecs) {
    uint64_t t0 = now_ns(), deadline = t0 + (uint64_t)(maxsecs * 1e9);
    last_frame_ns = t0;
    while (now_ns() < deadline) {
        poll_once(20);
        if (now_ns() - last_frame_ns > 300000000ull) break;
    }
    out("{\"cmd\":\"quiet\",\"secs\":%.3f,\"open_readers\":%d}", (now_ns() - t0) / 1e9,
        count_state(K_READ, S_READY));
}

static void cmd_wait(double secs) {
    uint64_t deadline = now_ns() + (uint64_t)(secs * 1e9);
    while (now_ns() < deadline) poll_once(20);
    out("{\"cmd\":\"wait\"}");
}

static void cmd_resume(void) {
    for (int i = 0; i < nconns; i++)
        if (conns[i].paused) {
            conns[i].paused = 0;
            if (conns[i].state != S_DONE) ep_update(i);
        }
    out("{\"cmd\":\"resume\"}");
}

static void cmd_stats(void) {
    printf("{\"cmd\":\"stats\",\"frames\":%llu,\"bytes\":%llu,\"other_msgs\":%llu,\"kinds\":{",
           (unsigned long long)frames_in, (unsigned long long)bytes_in,
           (unsigned long long)other_msgs);
    for (int k = 0; k < NKINDS; k++) {
        int open = 0, total = 0, eof = 0, err = 0, codes = 0;
        int code_vals[16], code_counts[16];
        for (int i = 0; i < nconns; i++) {
            Conn *c = &conns[i];
            if (c->kind != k || c->state == S_FREE) continue;
            total++;
            if (c->state != S_DONE) open++;
            else if (c->how == HOW_EOF) eof++;
            else if (c->how == HOW_ERROR) err++;
            if (c->close_code >= 0) {
                int j = 0;
                while (j < codes && code_vals[j] != c->close_code) j++;
                if (j == codes && codes < 16) {
                    code_vals[codes] = c->close_code;
                    code_counts[codes++] = 0;
                }
                if (j < 16) code_counts[j]++;
            }
        }
        printf("%s\"%s\":{\"total\":%d,\"open\":%d,\"eof\":%d,\"error\":%d,\"userlist_frames\":%llu,"
               "\"userlist_bytes\":%llu,\"presence_frames\":%llu,\"presence_bytes\":%llu,"
               "\"close_codes\":{",
               k ? "," : "", KIND_NAMES[k], total, open, eof, err,
               (unsigned long long)userlist_frames[k], (unsigned long long)userlist_bytes[k],
               (unsigned long long)presence_frames[k], (unsigned long long)presence_bytes[k]);
        for (int j = 0; j < codes; j++) printf("%s\"%d\":%d", j ? "," : "", code_vals[j], code_counts[j]);
        printf("}}");
    }
    out("}}");
}

static void cmd_reset(void) {
    frames_in = bytes_in = other_msgs = 0;
    memset(userlist_frames, 0, sizeof userlist_frames);
    memset(userlist_bytes, 0, sizeof userlist_bytes);
    memset(presence_frames, 0, sizeof presence_frames);
    memset(presence_bytes, 0, sizeof presence_bytes);
    out("{\"cmd\":\"reset\"}");
}

static void churn_cycle_end(int i, int ok) {
    Conn *c = &conns[i];
    if (ok) {
        churn_done++;
        hadd(&churn_hist, (now_ns() - c->churn_t0) / 1000);
    } else {
        churn_failed++;
    }
    if (churn_active) {
        pending_open = 0;
        start_connect(K_CHURN, c->room);
    }
}

static void cmd_churn(int conc, double secs) {
    churn_done = churn_failed = 0;
    memset(&churn_hist, 0, sizeof churn_hist);
    churn_active = 1;
    double c0 = cpu_secs();
    uint64_t t0 = now_ns(), deadline = t0 + (uint64_t)(secs * 1e9);
    for (int w = 0; w < conc; w++) start_connect(K_CHURN, churn_rooms_base + w);
    while (now_ns() < deadline) {
        poll_once(5);
        uint64_t t = now_ns();
        for (int i = 0; i < nconns; i++) /* a cycle stuck for 5 s counts as failed */
            if (conns[i].kind == K_CHURN && conns[i].state != S_DONE && conns[i].state != S_FREE &&
                t - conns[i].churn_t0 > 5000000000ull)
                conn_finish(i, HOW_ERROR);
        reclaim_done();
    }
    double elapsed = (now_ns() - t0) / 1e9;
    uint64_t done = churn_done, failed = churn_failed;
    double cpu = (cpu_secs() - c0) / elapsed;
    churn_active = 0;
    uint64_t grace = now_ns() + 2000000000ull;
    while (now_ns() < grace) {
        int live = 0;
        for (int i = 0; i < nconns; i++)
            if (conns[i].kind == K_CHURN && conns[i].state != S_DONE && conns[i].state != S_FREE) live++;
        if (!live) break;
        poll_once(5);
    }
    for (int i = 0; i < nconns; i++)
        if (conns[i].kind == K_CHURN && conns[i].state != S_DONE && conns[i].state != S_FREE)
            conn_finish(i, HOW_ERROR);
    reclaim_done();
    churn_rooms_base += conc;
    out("{\"cmd\":\"churn\",\"conc\":%d,\"secs\":%.3f,\"cycles\":%llu,\"failed\":%llu,"
        "\"per_sec\":%.1f,\"p50\":%.3f,\"p99\":%.3f,\"gen_cpu\":%.3f}",
        conc, elapsed, (unsigned long long)done, (unsigned long long)failed, done / elapsed,
        hpct(&churn_hist, 0.5), hpct(&churn_hist, 0.99), cpu);
}

static void cmd_closeall(double timeout) {
    for (int i = 0; i < nconns; i++) {
        Conn *c = &conns[i];
        if (c->state == S_READY || c->state == S_OPEN) {
            if (c->paused) {
                c->paused = 0;
                ep_update(i);
            }
            send_close(i, 1000);
            if (c->state != S_DONE) c->state = S_CLOSING;
        }
    }
    uint64_t deadline = now_ns() + (uint64_t)(timeout * 1e9);
    int live = 0;
    while (now_ns() < deadline) {
        live = 0;
        for (int i = 0; i < nconns; i++)
            if (conns[i].state != S_DONE && conns[i].state != S_FREE) live++;
        if (!live) break;
        poll_once(10);
    }
    for (int i = 0; i < nconns; i++)
        if (conns[i].state != S_DONE && conns[i].state != S_FREE) conn_finish(i, HOW_ERROR);
    out("{\"cmd\":\"closeall\",\"left\":%d}", live);
}

static void usage(void) {
    fprintf(stderr,
            "usage: loadgen --port P [--host H] [--path TEMPLATE] [--proto ws|sio] "
            "[--ready-token STR] [--msg-len N] [--slow-rcvbuf BYTES]\n");
    exit(2);
}

int main(int argc, char **argv) {
    for (int i = 1; i < argc; i++) {
        if (i + 1 >= argc) usage();
        if (!strcmp(argv[i], "--port")) port = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--host")) host = argv[++i];
        else if (!strcmp(argv[i], "--path")) path_tmpl = argv[++i];
        else if (!strcmp(argv[i], "--proto")) proto_sio = !strcmp(argv[++i], "sio");
        else if (!strcmp(argv[i], "--ready-token")) ready_token = argv[++i];
        else if (!strcmp(argv[i], "--msg-len")) msg_len = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--slow-rcvbuf")) slow_rcvbuf = atoi(argv[++i]);
        else usage();
    }
    if (ready_token && !*ready_token) ready_token = NULL;
    memset(B64INV, -1, sizeof B64INV);
    for (int k = 0; k < 64; k++) B64INV[(unsigned char)B64[k]] = (int8_t)k;
    signal(SIGPIPE, SIG_IGN);
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    memset(&server_addr, 0, sizeof server_addr);
    server_addr.sin_family = AF_INET;
    server_addr.sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, host, &server_addr.sin_addr) != 1) usage();
    epfd = epoll_create1(EPOLL_CLOEXEC);
    char line[512];
    while (fgets(line, sizeof line, stdin)) {
        char cmd[32] = {0}, a5[32] = {0};
        double a1 = 0, a2 = 0, a3 = 0, a4 = 0;
        int got = sscanf(line, "%31s %lf %lf %31s %lf", cmd, &a1, &a2, a5, &a3);
        if (got < 1) continue;
        if (!strcmp(cmd, "open")) {
            cmd_open((int)a1, (int)a2, a5, a3 > 0 ? a3 : 60);
        } else if (!strcmp(cmd, "step")) {
            double r, w, m, d;
            int s = 0;
            if (sscanf(line, "%31s %lf %lf %lf %lf %d", cmd, &r, &w, &m, &d, &s) >= 5)
                cmd_step(r, w, m, d, s);
            else
                out("{\"cmd\":\"error\",\"msg\":\"bad step\"}");
        } else if (!strcmp(cmd, "quiet")) {
            cmd_quiet(a1 > 0 ? a1 : 5);
        } else if (!strcmp(cmd, "wait")) {
            cmd_wait(a1);
        } else if (!strcmp(cmd, "resume")) {
            cmd_resume();
        } else if (!strcmp(cmd, "stats")) {
            cmd_stats();
        } else if (!strcmp(cmd, "reset")) {
            cmd_reset();
        } else if (!strcmp(cmd, "churn")) {
            cmd_churn((int)a1, a2);
        } else if (!strcmp(cmd, "closeall")) {
            cmd_closeall(a1 > 0 ? a1 : 5);
        } else if (!strcmp(cmd, "quit")) {
            break;
        } else {
            out("{\"cmd\":\"error\",\"msg\":\"unknown command\"}");
        }
        (void)a4;
    }
    return 0;
}
