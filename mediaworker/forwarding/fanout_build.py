"""Builds ``mediaworker.forwarding._fanout`` (fanout.c) with cffi's API mode.

Run by setup.py when meet is installed (``pip install -e .``, the README's commands and
the Dockerfile): the extension is optional, so where no C compiler is found the install
goes on and the worker forwards through the pure-Python path (``batch.py``), saying so in
its log (``mediaworker/forwarding/native.py``). ``python -m mediaworker.forwarding.fanout_build``
builds it in place by hand.
"""

from __future__ import annotations

from pathlib import Path

from cffi import FFI  # type: ignore[import-untyped]

MODULE = "mediaworker.forwarding._fanout"
HERE = Path(__file__).resolve().parent

# What Python sees of fanout.c: the fields it sets or reads ("...;" lets the compiler
# place them), and the calls.
CDEF = """
#define FAN_SLOTS ...
#define FAN_SLOT_BYTES ...
#define FAN_NO_PT ...
#define FAN_OK ...
#define FAN_BACKLOG ...
#define FAN_GONE ...
struct fan_egress {
    void *srtp; int fd; int segments; uint32_t word_id; int overhead;
    double *sent_at; uint32_t *sent_sizes; uint64_t *next_seq; int buffered;
    uint64_t sent_packets; uint64_t sent_octets; uint64_t syscalls;
    int count; int status; int backlog_from; int held;
    int offsets[16]; int sizes[16];
    unsigned char arena[];
    ...;
};
struct fan_slot {
    struct fan_egress *egress;
    uint32_t ssrc; uint32_t ts_off; uint32_t seq_off;
    uint8_t pt_for[128];
    uint32_t last_seq; uint32_t last_ts; uint64_t packets; uint64_t octets;
    ...;
};
void fan_init(uintptr_t protect);
struct fan_egress *fan_egress_new(void);
void fan_egress_free(struct fan_egress *e);
struct fan_slot *fan_slot_new(void);
void fan_slot_free(struct fan_slot *s);
int fan_route(struct fan_egress *e, void *srtp, int fd, const char *name, int namelen,
              int segments);
void fan_unroute(struct fan_egress *e);
int fan_add(struct fan_egress *e, uint32_t second_byte, uint32_t seq, uint32_t ts,
            uint32_t ssrc, const unsigned char *payload, int size);
int fan_out(struct fan_slot **slots, int n, uint32_t marker, uint32_t pt_in, uint32_t seq,
            uint32_t ts, const unsigned char *payload, int size, int *skipped, int *skips);
int fan_flush(struct fan_egress *e);
void fan_flush_due(void);
int fan_pending(void);
void fan_reset_schedule(void);
int fan_take_troubled(struct fan_egress **out, int capacity);
void fan_settled(struct fan_egress *e);
"""


def builder() -> FFI:
    """The cffi builder of the module."""
    ffi = FFI()
    ffi.cdef(CDEF)
    ffi.set_source(MODULE, (HERE / "fanout.c").read_text(), extra_compile_args=["-O2"])
    return ffi


ffibuilder = builder()

if __name__ == "__main__":
    ffibuilder.compile(tmpdir=str(HERE.parent.parent), verbose=True)
