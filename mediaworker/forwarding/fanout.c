/* The fan-out's per-subscriber loop, compiled (issue 14, item 7: more per core).
 *
 * Python's Source.forward used to visit every subscriber slot for every packet: the
 * offsets added, the 12-byte header packed, the payload copied into the connection's
 * buffer, srtp_protect called through cffi, the counters kept (py-spy at 300
 * subscribers: the Python around sendmmsg and srtp_protect was the largest part of the
 * worker). Here one call does all of a packet's steady slots, and the end-of-turn
 * sendmmsg of every connection that holds packets is one call too. Python keeps what is
 * rare: keyframe waits, a connection whose socket said EAGAIN (asyncio's buffer keeps
 * the order), TURN, pipes, retransmissions, RTCP.
 *
 * No libsrtp headers: srtp_protect is pylibsrtp's own, reached through the function
 * pointer Python hands to fan_init, so the packets are protected by the very library
 * (and session state) aiortc uses for everything else on the connection.
 *
 * Layout and rules are batch.py's (the pure-Python path, kept where this does not build):
 * a connection's packets lie end to end in one arena; a run of equal sizes (and one
 * shorter after it) is one message with UDP segmentation offload; EAGAIN stops the
 * connection's batch and Python hands the rest to the asyncio transport.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include <sys/uio.h>

#define FAN_SLOTS 16          /* packets held per connection before they go out anyway */
#define FAN_SLOT_BYTES 1536   /* the largest protected packet */
#define FAN_TRAILER 16        /* libsrtp's SRTP_MAX_TRAILER_LEN */
#define FAN_ROOM (FAN_SLOTS * FAN_SLOT_BYTES - FAN_TRAILER)
#define FAN_LOG_MASK 2047     /* transport_cc.LOG_SIZE - 1 */
#define FAN_SOL_UDP 17
#define FAN_UDP_SEGMENT 103
#define FAN_NO_PT 0xFF

enum { FAN_OK = 0, FAN_BACKLOG = 1, FAN_GONE = 2 };

typedef int (*fan_protect_fn)(void *context, void *packet, int *length);

struct fan_segment {  /* CMSG_SPACE(sizeof(uint16_t)): the header, then the size */
    struct cmsghdr header;
    uint16_t size;
    unsigned char pad[6];
};

struct fan_egress {
    /* Set by Python when the connection is routed; srtp NULL or fd < 0: not routed. */
    void *srtp;
    int fd;
    int segments;          /* UDP: runs of equal sizes may go as one segmented message */
    uint32_t word_id;      /* transport-cc extension element bits, 0: not numbered */
    int overhead;          /* bytes counted per packet besides its payload */
    double *sent_at;       /* the SentLog's arrays and next number (NULL: none) */
    uint32_t *sent_sizes;
    uint64_t *next_seq;
    int buffered;          /* asyncio's buffer holds packets: this path must not send */
    /* Kept here. */
    uint64_t sent_packets, sent_octets, syscalls;
    int count, used;       /* packets held, arena bytes taken */
    int status, backlog_from, held;  /* after a flush that could not finish */
    int due, troubled;     /* in the lists below */
    int offsets[FAN_SLOTS], sizes[FAN_SLOTS];
    socklen_t namelen;
    struct sockaddr_storage name;
    struct iovec iov[FAN_SLOTS];
    struct mmsghdr mmsg[FAN_SLOTS];
    struct fan_segment cmsg[FAN_SLOTS];
    unsigned char arena[FAN_SLOTS * FAN_SLOT_BYTES] __attribute__((aligned(16)));
};

struct fan_slot {
    struct fan_egress *egress;
    uint32_t ssrc, ts_off, seq_off;
    uint8_t pt_for[128];   /* the publisher's payload type -> ours, FAN_NO_PT: none */
    uint32_t last_seq, last_ts;
    uint64_t packets, octets;
};

static fan_protect_fn protect_packet;

/* Connections holding packets until the end of the event-loop turn, and those whose
 * last flush stopped (Python hands their rest over or forgets the route). */
struct fan_list {
    struct fan_egress **items;
    int count, size;
};
static struct fan_list due, troubled;
static int flush_scheduled;

static int list_add(struct fan_list *list, struct fan_egress *e) {
    if (list->count == list->size) {
        int size = list->size ? list->size * 2 : 256;
        struct fan_egress **items = realloc(list->items, size * sizeof(*items));
        if (items == NULL)
            return -1;
        list->items = items;
        list->size = size;
    }
    list->items[list->count++] = e;
    return 0;
}

static void list_remove(struct fan_list *list, struct fan_egress *e) {
    int j = 0;
    for (int i = 0; i < list->count; i++)
        if (list->items[i] != e)
            list->items[j++] = list->items[i];
    list->count = j;
}

static void set_trouble(struct fan_egress *e, int status) {
    e->status = status;
    if (status == FAN_GONE) {
        e->srtp = NULL;  /* not routed until Python routes it again */
        e->fd = -1;
    } else {
        e->buffered = 1;
    }
    if (!e->troubled && list_add(&troubled, e) == 0)
        e->troubled = 1;
}

void fan_init(uintptr_t protect) { protect_packet = (fan_protect_fn)protect; }

struct fan_egress *fan_egress_new(void) {
    struct fan_egress *e = calloc(1, sizeof(*e));
    if (e != NULL) {
        e->fd = -1;
        e->segments = 1;
    }
    return e;
}

void fan_egress_free(struct fan_egress *e) {
    if (e == NULL)
        return;
    if (e->due)
        list_remove(&due, e);
    if (e->troubled)
        list_remove(&troubled, e);
    free(e);
}

struct fan_slot *fan_slot_new(void) {
    struct fan_slot *s = calloc(1, sizeof(*s));
    if (s != NULL)
        memset(s->pt_for, FAN_NO_PT, sizeof(s->pt_for));
    return s;
}

void fan_slot_free(struct fan_slot *s) { free(s); }

int fan_route(struct fan_egress *e, void *srtp, int fd, const char *name, int namelen,
              int segments) {
    if (namelen <= 0 || (size_t)namelen > sizeof(e->name))
        return -1;
    memcpy(&e->name, name, namelen);
    e->namelen = namelen;
    e->srtp = srtp;
    e->fd = fd;
    e->segments = segments;
    for (int m = 0; m < FAN_SLOTS; m++) {
        struct msghdr *header = &e->mmsg[m].msg_hdr;
        header->msg_name = &e->name;
        header->msg_namelen = namelen;
        header->msg_iov = &e->iov[m];
        header->msg_iovlen = 1;
        struct fan_segment *c = &e->cmsg[m];
        c->header.cmsg_len = CMSG_LEN(sizeof(uint16_t));
        c->header.cmsg_level = FAN_SOL_UDP;
        c->header.cmsg_type = FAN_UDP_SEGMENT;
    }
    return 0;
}

void fan_unroute(struct fan_egress *e) {
    e->srtp = NULL;
    e->fd = -1;
}

/* Lay packets first..count-1 out as messages from the first mmsghdr on; the first
 * packet of each message in starts[], then count. The number of messages. */
static int plan(struct fan_egress *e, int first, int count, int *starts) {
    int m = 0, i = first;
    while (i < count) {
        int size = e->sizes[i], j = i + 1;
        if (e->segments) {
            while (j < count && e->sizes[j] == size)
                j++;
            if (j < count && e->sizes[j] < size)
                j++;  /* the last segment may be shorter */
        }
        e->iov[m].iov_base = e->arena + e->offsets[i];
        e->iov[m].iov_len = e->offsets[j - 1] + e->sizes[j - 1] - e->offsets[i];
        struct msghdr *header = &e->mmsg[m].msg_hdr;
        if (j - i > 1) {
            e->cmsg[m].size = (uint16_t)size;
            header->msg_control = &e->cmsg[m];
            header->msg_controllen = sizeof(struct fan_segment);
        } else {
            header->msg_control = NULL;
            header->msg_controllen = 0;
        }
        starts[m++] = i;
        i = j;
    }
    starts[m] = count;
    return m;
}

/* Send what is held, in order: one sendmmsg unless the socket objects. */
static void flush(struct fan_egress *e) {
    int count = e->count;
    if (!count)
        return;
    e->count = 0;
    e->used = 0;
    if (e->fd < 0) {
        set_trouble(e, FAN_GONE);
        return;
    }
    int starts[FAN_SLOTS + 1];
    int messages = plan(e, 0, count, starts), message = 0;
    while (message < messages) {
        e->syscalls++;
        int sent = sendmmsg(e->fd, e->mmsg + message, messages - message, 0);
        if (sent > 0) {
            message += sent;
            continue;
        }
        int code = errno;
        if (code == EINTR)
            continue;
        if (code == EAGAIN || code == EWOULDBLOCK) {
            e->backlog_from = starts[message];
            e->held = count;  /* the arena keeps them until Python has handed them over */
            set_trouble(e, FAN_BACKLOG);
            return;
        }
        if (code == EBADF || code == ENOTSOCK) {
            set_trouble(e, FAN_GONE);
            return;
        }
        int first = starts[message], last = starts[message + 1];
        if (e->segments && last - first > 1 &&
            (code == EIO || code == EINVAL || code == ENOPROTOOPT || code == EOPNOTSUPP)) {
            e->segments = 0;  /* this path cannot: one datagram per packet from now */
            /* Re-plan the rest; plan() writes from the first mmsghdr on. */
            messages = plan(e, first, count, starts);
            message = 0;
            continue;
        }
        message++;  /* refused (EMSGSIZE, EPERM...): dropped, as sendto's would be */
    }
}

static double monotonic(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return now.tv_sec + now.tv_nsec * 1e-9;
}

static inline void put16(unsigned char *p, uint32_t v) {
    p[0] = v >> 8;
    p[1] = v;
}

static inline void put32(unsigned char *p, uint32_t v) {
    p[0] = v >> 24;
    p[1] = v >> 16;
    p[2] = v >> 8;
    p[3] = v;
}

/* Write, number, protect and hold one packet. 1: held; 0: dropped (too big, or libsrtp
 * refused it); -1: this connection cannot take it here (not routed, or asyncio's buffer
 * holds packets): the caller sends it its own way. */
static int add(struct fan_egress *e, uint32_t second_byte, uint32_t seq, uint32_t ts,
               uint32_t ssrc, const unsigned char *payload, int size, double now) {
    if (e->srtp == NULL || e->fd < 0 || e->buffered)
        return -1;
    int head = e->word_id ? 20 : 12, clear = head + size;
    if (clear > FAN_SLOT_BYTES - FAN_TRAILER)
        return 0;
    if (e->used + clear > FAN_ROOM) {
        flush(e);
        if (e->srtp == NULL || e->buffered)
            return -1;
    }
    int at = e->used;
    unsigned char *p = e->arena + at;
    p[0] = e->word_id ? 0x90 : 0x80;
    p[1] = second_byte;
    put16(p + 2, seq);
    put32(p + 4, ts);
    put32(p + 8, ssrc);
    if (e->word_id) {  /* numbered: when it went out and how big, for the feedback */
        uint64_t number = (*e->next_seq)++;
        e->sent_at[number & FAN_LOG_MASK] = now;
        e->sent_sizes[number & FAN_LOG_MASK] = size + e->overhead;
        put32(p + 12, 0xBEDE0001u);
        put32(p + 16, e->word_id | (uint32_t)((number & 0xFFFF) << 8));
    }
    memcpy(p + head, payload, size);
    int length = clear;
    if (protect_packet(e->srtp, p, &length))
        return 0;
    int i = e->count;
    e->offsets[i] = at;
    e->sizes[i] = length;
    e->used = at + length;
    e->count = i + 1;
    e->sent_packets++;
    e->sent_octets += size + e->overhead;
    if (!e->due && list_add(&due, e) == 0)
        e->due = 1;
    if (i + 1 == FAN_SLOTS)
        flush(e);
    return 1;
}

int fan_add(struct fan_egress *e, uint32_t second_byte, uint32_t seq, uint32_t ts,
            uint32_t ssrc, const unsigned char *payload, int size) {
    return add(e, second_byte, seq, ts, ssrc, payload, size, monotonic());
}

/* One publisher packet to every slot of ``slots``. The number forwarded; the indices of
 * the slots whose connection could not take it here go to ``skipped`` (``*skips``). */
int fan_out(struct fan_slot **slots, int n, uint32_t marker, uint32_t pt_in, uint32_t seq,
            uint32_t ts, const unsigned char *payload, int size, int *skipped, int *skips) {
    double now = monotonic();
    int forwarded = 0, k = 0;
    for (int i = 0; i < n; i++) {
        struct fan_slot *s = slots[i];
        uint32_t pt = s->pt_for[pt_in & 127];
        if (pt == FAN_NO_PT)
            continue;
        uint32_t out_seq = (seq + s->seq_off) & 0xFFFF, out_ts = ts + s->ts_off;
        if (add(s->egress, marker | pt, out_seq, out_ts, s->ssrc, payload, size, now) < 0) {
            skipped[k++] = i;
            continue;
        }
        s->last_seq = out_seq;
        s->last_ts = out_ts;
        s->packets++;
        s->octets += size;
        forwarded++;
    }
    *skips = k;
    return forwarded;
}

int fan_flush(struct fan_egress *e) {
    flush(e);
    return e->status;
}

/* The end of the event-loop turn: every connection that holds packets sends them. */
void fan_flush_due(void) {
    flush_scheduled = 0;
    for (int i = 0; i < due.count; i++) {
        struct fan_egress *e = due.items[i];
        e->due = 0;
        flush(e);
    }
    due.count = 0;
}

/* What Python must do after a call: bit 1, connections in trouble (fan_take_troubled);
 * bit 2, packets held and no end-of-turn flush scheduled yet (it is now marked). */
int fan_pending(void) {
    int pending = troubled.count ? 1 : 0;
    if (due.count && !flush_scheduled) {
        flush_scheduled = 1;
        pending |= 2;
    }
    return pending;
}

/* A flush scheduled on an event loop that will not run it (closed): forget it. */
void fan_reset_schedule(void) { flush_scheduled = 0; }

int fan_take_troubled(struct fan_egress **out, int capacity) {
    int n = troubled.count < capacity ? troubled.count : capacity;
    for (int i = 0; i < n; i++) {
        out[i] = troubled.items[i];
        out[i]->troubled = 0;
    }
    memmove(troubled.items, troubled.items + n, (troubled.count - n) * sizeof(*troubled.items));
    troubled.count -= n;
    return n;
}

/* Python has handed a backlog over (or forgotten a gone route): the arena is free. */
void fan_settled(struct fan_egress *e) {
    e->status = FAN_OK;
    e->held = 0;
    e->backlog_from = 0;
}
