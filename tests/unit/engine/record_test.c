/* tests/unit/engine/record_test.c — the on-disk record codec (engine/record.c, layout in
 * engine/store_int.h): round trips for v4, v6, no IP, interned and inline attributes, the maximum
 * number of attributes; decode refuses truncated buffers, a wrong version byte, trailing bytes
 * and nattr > IPL_ATTR_MAX. Every decode of a damaged record reads from an exact-size heap copy,
 * so the sanitizer build catches any read past the end.
 */
#include "tests/unit/check.h"

#include "engine/err.h"
#include "engine/store_int.h"

#include <stdlib.h>
#include <string.h>

static const uint8_t V4[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 20, 30, 41};
static const uint8_t V6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xab, 0xcd};

/* Decodes from an exact-size malloc'd copy (so ASan sees any overread). */
static int decode_copy(const uint8_t *buf, size_t n, ipl_rec *r)
{
    uint8_t *c = malloc(n ? n : 1);
    if (!c)
        return IPL_ENOMEM;
    if (n)
        memcpy(c, buf, n);
    int rc = ipl_record_decode(c, n, r);
    free(c);
    return rc;
}

/* Compares everything but attribute value pointers (compared by content). */
static int rec_equal(const ipl_rec *a, const ipl_rec *b)
{
    if (a->ts != b->ts || a->kind != b->kind || a->has_ip != b->has_ip)
        return 0;
    if (a->has_ip && memcmp(a->ip, b->ip, 16) != 0)
        return 0;
    if (a->mac != b->mac || a->duid != b->duid || a->host != b->host || a->user != b->user ||
        a->server != b->server || a->source != b->source || a->line != b->line ||
        a->nattr != b->nattr)
        return 0;
    for (uint32_t i = 0; i < a->nattr; i++) {
        if (a->attr[i].key != b->attr[i].key || a->attr[i].interned != b->attr[i].interned)
            return 0;
        if (a->attr[i].interned) {
            if (a->attr[i].id != b->attr[i].id)
                return 0;
        } else if (a->attr[i].len != b->attr[i].len ||
                   (a->attr[i].len && memcmp(a->attr[i].val, b->attr[i].val, a->attr[i].len))) {
            return 0;
        }
    }
    return 1;
}

static void base_rec(ipl_rec *r)
{
    memset(r, 0, sizeof *r);
    r->ts = INT64_C(1714551332) * 1000000 + 123456;
    r->kind = IPL_K_LEASE_ASSIGN;
    r->mac = 3;
    r->host = 200;             /* two-byte varint */
    r->user = 0;
    r->server = 70000;         /* three-byte varint */
    r->source = 1;
    r->line = 123456789012ULL;
}

/* Encodes r, decodes it, checks equality; returns the encoded length (0 on failure). */
static size_t round_trip(const ipl_rec *r, uint8_t *buf, size_t cap)
{
    size_t n = ipl_record_encode(r, buf, cap);
    CHECK(n > 0);
    if (!n)
        return 0;
    ipl_rec back;
    memset(&back, 0xa5, sizeof back);
    uint8_t *c = malloc(n);
    if (!c)
        return 0;
    memcpy(c, buf, n);
    CHECK_INT(ipl_record_decode(c, n, &back), IPL_OK);
    CHECK(rec_equal(r, &back));
    free(c);
    return n;
}

static void test_round_trip_v4(void)
{
    uint8_t buf[1024];
    ipl_rec r, back;
    base_rec(&r);
    r.has_ip = 1;
    memcpy(r.ip, V4, 16);
    size_t n = round_trip(&r, buf, sizeof buf);
    CHECK(n > 0);
    /* v4 is stored in 4 bytes: head + kind + ts (µs: 51 bits, an 8-byte varint) + 4 ip */
    CHECK_INT(buf[0], IPL_RECORD_VERSION << 4 | 1);
    CHECK(memcmp(buf + 10, V4 + 12, 4) == 0);
    CHECK_INT(ipl_record_decode(buf, n, &back), IPL_OK);
    CHECK(memcmp(back.ip, V4, 16) == 0);          /* comes back v4-mapped */
    CHECK_INT(back.has_ip, 1);
    CHECK_INT(back.ts, r.ts);
    CHECK_INT(back.line, 123456789012ULL);
    CHECK_INT(back.server, 70000);
}

static void test_round_trip_v6(void)
{
    uint8_t buf[1024];
    ipl_rec r, back;
    base_rec(&r);
    r.kind = IPL_K_LEASE_V6_CONFIRM;
    r.has_ip = 1;
    memcpy(r.ip, V6, 16);
    r.duid = 0xffffffffu;      /* largest id: five-byte varint */
    size_t n = round_trip(&r, buf, sizeof buf);
    CHECK_INT(buf[0] & 3, 3);                      /* has_ip | v6 */
    CHECK_INT(ipl_record_decode(buf, n, &back), IPL_OK);
    CHECK(memcmp(back.ip, V6, 16) == 0);
    CHECK_INT(back.duid, 0xffffffffu);
    CHECK_INT(back.kind, IPL_K_LEASE_V6_CONFIRM);

    /* ::ffff:0:0/96 is v4; an address that only starts with zeros (::1) is v6 */
    uint8_t lo[16] = {0};
    lo[15] = 1;
    memcpy(r.ip, lo, 16);
    n = round_trip(&r, buf, sizeof buf);
    CHECK_INT(buf[0] & 3, 3);
    CHECK_INT(ipl_record_decode(buf, n, &back), IPL_OK);
    CHECK(memcmp(back.ip, lo, 16) == 0);
}

static void test_round_trip_no_ip(void)
{
    uint8_t buf[1024];
    ipl_rec r, back;
    base_rec(&r);
    r.kind = IPL_K_LOG_START;
    r.mac = r.host = r.server = 0;
    r.ts = 0;
    r.line = 0;
    memcpy(r.ip, V6, 16);      /* ignored without has_ip */
    size_t n = round_trip(&r, buf, sizeof buf);
    CHECK_INT(buf[0] & 3, 0);
    CHECK_INT(ipl_record_decode(buf, n, &back), IPL_OK);
    CHECK_INT(back.has_ip, 0);
    static const uint8_t zero[16] = {0};
    CHECK(memcmp(back.ip, zero, 16) == 0);
    /* head, kind, ts 0 (one byte) + 7 one-byte varints + nattr: the smallest record */
    CHECK_INT(n, 2 + 1 + 7 + 1);
}

static void test_round_trip_attrs(void)
{
    uint8_t *buf = malloc(IPL_RECORD_MAX);
    CHECK(buf != NULL);
    if (!buf)
        return;
    ipl_rec r, back;
    base_rec(&r);
    r.has_ip = 1;
    memcpy(r.ip, V4, 16);
    static const char xid[] = "1512734587";
    static const char msg[] = "a value, with \"quotes\"\nand a NUL\0inside";
    r.nattr = 4;
    r.attr[0].key = IPL_A_XID;
    r.attr[0].len = (uint32_t)strlen(xid);
    r.attr[0].val = (const uint8_t *)xid;
    r.attr[1].key = IPL_A_VENDOR;
    r.attr[1].interned = 1;
    r.attr[1].id = 77;
    r.attr[2].key = IPL_A_MESSAGE;
    r.attr[2].len = sizeof msg - 1;                /* embedded NUL kept */
    r.attr[2].val = (const uint8_t *)msg;
    r.attr[3].key = IPL_A_DESC;
    r.attr[3].len = 0;                             /* an empty inline value */
    r.attr[3].val = (const uint8_t *)"";
    size_t n = round_trip(&r, buf, IPL_RECORD_MAX);
    CHECK_INT(ipl_record_decode(buf, n, &back), IPL_OK);
    CHECK_INT(back.nattr, 4);
    CHECK_INT(back.attr[1].interned, 1);
    CHECK_INT(back.attr[1].id, 77);
    CHECK_INT(back.attr[2].len, sizeof msg - 1);
    CHECK(back.attr[2].val >= buf && back.attr[2].val < buf + n);  /* points into the buffer */
    CHECK_INT(back.attr[3].len, 0);
    CHECK_INT(ipl_rec_max_id(&r), 70000);
    r.attr[1].id = 90000;
    CHECK_INT(ipl_rec_max_id(&r), 90000);          /* interned attribute ids count */
    r.attr[1].interned = 0;                        /* an inline value is no id */
    CHECK_INT(ipl_rec_max_id(&r), 70000);
    free(buf);
}

static void test_round_trip_max_attrs(void)
{
    uint8_t *buf = malloc(IPL_RECORD_MAX);
    char *val = malloc(IPL_ATTR_VAL_MAX);
    CHECK(buf && val);
    if (!buf || !val) {
        free(buf);
        free(val);
        return;
    }
    for (size_t i = 0; i < IPL_ATTR_VAL_MAX; i++)
        val[i] = (char)('a' + i % 26);
    ipl_rec r, back;
    base_rec(&r);
    r.has_ip = 1;
    memcpy(r.ip, V6, 16);
    r.mac = r.duid = r.host = r.user = r.server = r.source = 0xffffffffu;
    r.line = UINT64_MAX;
    r.ts = (INT64_C(1) << 56) - 1;
    r.nattr = IPL_ATTR_MAX;
    for (uint32_t i = 0; i < IPL_ATTR_MAX; i++) {   /* every value inline and at its cap */
        r.attr[i].key = (uint8_t)(i + 1);
        r.attr[i].len = IPL_ATTR_VAL_MAX;
        r.attr[i].val = (const uint8_t *)val;
    }
    size_t n = round_trip(&r, buf, IPL_RECORD_MAX);
    CHECK(n > (size_t)IPL_ATTR_VAL_MAX * IPL_ATTR_MAX);
    CHECK(n <= IPL_RECORD_MAX);
    CHECK_INT(ipl_record_decode(buf, n, &back), IPL_OK);
    CHECK_INT(back.nattr, IPL_ATTR_MAX);
    CHECK_INT(back.line, UINT64_MAX);
    CHECK_INT(back.attr[IPL_ATTR_MAX - 1].len, IPL_ATTR_VAL_MAX);
    CHECK(memcmp(back.attr[IPL_ATTR_MAX - 1].val, val, IPL_ATTR_VAL_MAX) == 0);
    /* a buffer one byte short of what it needs: encode refuses instead of writing past it */
    CHECK_INT(ipl_record_encode(&r, buf, n - 1), 0);
    r.nattr = 1;
    CHECK_INT(ipl_record_encode(&r, buf, 200), 0);
    CHECK_INT(ipl_record_encode(&r, buf, 64), 0);
    free(buf);
    free(val);
}

/* A representative record with every part present, for the damage tests. */
static size_t sample_record(uint8_t *buf, size_t cap)
{
    ipl_rec r;
    base_rec(&r);
    r.has_ip = 1;
    memcpy(r.ip, V6, 16);
    static const char xid[] = "1512734587";
    r.nattr = 3;
    r.attr[0].key = IPL_A_XID;
    r.attr[0].len = (uint32_t)strlen(xid);
    r.attr[0].val = (const uint8_t *)xid;
    r.attr[1].key = IPL_A_VENDOR;
    r.attr[1].interned = 1;
    r.attr[1].id = 300;
    r.attr[2].key = IPL_A_CODE;
    r.attr[2].len = 2;
    r.attr[2].val = (const uint8_t *)"10";
    return ipl_record_encode(&r, buf, cap);
}

static void test_decode_truncated(void)
{
    uint8_t buf[512];
    ipl_rec r;
    size_t n = sample_record(buf, sizeof buf);
    CHECK(n > 40);
    CHECK_INT(decode_copy(buf, n, &r), IPL_OK);
    int accepted = 0;
    for (size_t k = 0; k < n; k++)               /* every strict prefix is refused */
        if (decode_copy(buf, k, &r) != IPL_ECORRUPT) {
            accepted++;
            fprintf(stderr, "  prefix of %zu bytes accepted\n", k);
        }
    CHECK_INT(accepted, 0);
    CHECK_INT(ipl_record_decode(buf, 0, &r), IPL_ECORRUPT);
}

static void test_decode_bad_version(void)
{
    uint8_t buf[512];
    ipl_rec r;
    size_t n = sample_record(buf, sizeof buf);
    uint8_t head = buf[0];
    buf[0] = (uint8_t)((IPL_RECORD_VERSION + 1) << 4 | (head & 15));
    CHECK_INT(decode_copy(buf, n, &r), IPL_ECORRUPT);
    buf[0] = 0;
    CHECK_INT(decode_copy(buf, n, &r), IPL_ECORRUPT);
    buf[0] = (uint8_t)(head | 3 << 2);          /* time unit 3 does not exist */
    CHECK_INT(decode_copy(buf, n, &r), IPL_ECORRUPT);
    buf[0] = head;
    CHECK_INT(decode_copy(buf, n, &r), IPL_OK);
}

static void test_decode_trailing(void)
{
    uint8_t buf[512];
    ipl_rec r;
    size_t n = sample_record(buf, sizeof buf);
    buf[n] = 0;
    CHECK_INT(decode_copy(buf, n + 1, &r), IPL_ECORRUPT);
    buf[n] = 0xff;
    buf[n + 1] = 0x01;
    CHECK_INT(decode_copy(buf, n + 2, &r), IPL_ECORRUPT);
}

static void test_decode_nattr_over_max(void)
{
    /* a minimal record (no ip, ids 0) whose nattr byte says IPL_ATTR_MAX + 1, followed by that
     * many well-formed one-byte inline attributes: refused by the count alone */
    uint8_t buf[256];
    size_t n = 0;
    buf[n++] = 1;              /* version 1: still read */
    buf[n++] = IPL_K_LEASE_ASSIGN;
    buf[n++] = 0;
    for (int i = 0; i < 8; i++)
        buf[n++] = 0;
    for (int i = 0; i < 7; i++)
        buf[n++] = 0;          /* six ids and the line */
    size_t nattr_at = n;
    buf[n++] = IPL_ATTR_MAX;
    for (int i = 0; i < IPL_ATTR_MAX + 1; i++) {
        buf[n++] = IPL_A_CODE;
        buf[n++] = 1;
        buf[n++] = '7';
    }
    ipl_rec r;
    /* with IPL_ATTR_MAX attributes (and the extra bytes cut) it is valid */
    CHECK_INT(decode_copy(buf, n - 3, &r), IPL_OK);
    CHECK_INT(r.nattr, IPL_ATTR_MAX);
    buf[nattr_at] = IPL_ATTR_MAX + 1;
    CHECK_INT(decode_copy(buf, n, &r), IPL_ECORRUPT);
    buf[nattr_at] = 255;
    CHECK_INT(decode_copy(buf, n, &r), IPL_ECORRUPT);
}

static void test_decode_bad_fields(void)
{
    uint8_t buf[64];
    size_t n = 0;
    ipl_rec r;
    buf[n++] = 1;              /* version 1: still read */
    buf[n++] = 1;
    buf[n++] = 0;
    for (int i = 0; i < 8; i++)
        buf[n++] = 0;
    /* an id varint above UINT32_MAX: 2^35 */
    static const uint8_t big[] = {0x80, 0x80, 0x80, 0x80, 0x80, 0x01};
    memcpy(buf + n, big, sizeof big);
    size_t m = n + sizeof big;
    for (int i = 0; i < 6; i++)
        buf[m++] = 0;
    buf[m++] = 0;              /* nattr */
    CHECK_INT(decode_copy(buf, m, &r), IPL_ECORRUPT);
    /* a varint that never ends (11 continuation bytes) */
    memset(buf + n, 0x80, 11);
    CHECK_INT(decode_copy(buf, n + 11, &r), IPL_ECORRUPT);
    /* an inline attribute longer than the bytes left */
    m = n;
    for (int i = 0; i < 7; i++)
        buf[m++] = 0;
    buf[m++] = 1;              /* nattr */
    buf[m++] = IPL_A_CODE;
    buf[m++] = 5;              /* len 5, only 2 bytes follow */
    buf[m++] = 'a';
    buf[m++] = 'b';
    CHECK_INT(decode_copy(buf, m, &r), IPL_ECORRUPT);
    buf[m - 3] = 2;
    CHECK_INT(decode_copy(buf, m, &r), IPL_OK);
    /* flags say has_ip v6 but only 4 address bytes and nothing else */
    n = 0;
    buf[n++] = 1;              /* version 1: still read */
    buf[n++] = 1;
    buf[n++] = 3;
    for (int i = 0; i < 8; i++)
        buf[n++] = 0;
    for (int i = 0; i < 4; i++)
        buf[n++] = 0;
    CHECK_INT(decode_copy(buf, n, &r), IPL_ECORRUPT);
}

/* Every single-byte change of a valid record decodes or is refused, never reads out of bounds
 * (checked by the sanitizer build). */
static void test_decode_mutations(void)
{
    uint8_t buf[512];
    size_t n = sample_record(buf, sizeof buf);
    static const uint8_t vals[] = {0x00, 0x01, 0x02, 0x03, 0x10, 0x7f, 0x80, 0x81, 0xfe, 0xff};
    int ok = 0, bad = 0;
    for (size_t i = 0; i < n; i++) {
        uint8_t saved = buf[i];
        for (size_t v = 0; v < sizeof vals; v++) {
            ipl_rec r;
            buf[i] = vals[v];
            int rc = decode_copy(buf, n, &r);
            if (rc == IPL_OK) {
                ok++;
                CHECK(r.nattr <= IPL_ATTR_MAX);
            } else {
                bad++;
                CHECK_INT(rc, IPL_ECORRUPT);
            }
        }
        buf[i] = saved;
    }
    CHECK(ok > 0 && bad > 0);
}

/* Version 2 stores ts in the coarsest unit that divides it (s, ms, µs), zigzag for times before
 * 1970; each comes back exact, and whole seconds take 3 bytes less than version 1's fixed 8. A
 * version-1 record of the same event (built by hand: u8 1 | kind | flags | u64 LE ts | rest)
 * decodes to the same fields. */
static void test_time_units(void)
{
    static const struct { int64_t ts; unsigned unit; size_t tsbytes; } cases[] = {
        {INT64_C(1714551332) * 1000000, 2, 5},             /* whole seconds */
        {INT64_C(1714551332) * 1000000 + 250000, 1, 6},    /* whole milliseconds */
        {INT64_C(1714551332) * 1000000 + 250001, 0, 8},    /* microseconds */
        {0, 2, 1},
        {-INT64_C(86400) * 1000000, 2, 3},                 /* 1969-12-31 */
        {-1, 0, 1},
        {(INT64_C(1) << 56) - 1, 0, 9},                     /* the largest ts */
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        uint8_t buf[256], v1[256];
        ipl_rec r, back;
        base_rec(&r);
        r.ts = cases[c].ts;
        r.has_ip = 1;
        memcpy(r.ip, V4, 16);
        size_t n = ipl_record_encode(&r, buf, sizeof buf);
        CHECK(n > 0);
        CHECK_INT((buf[0] >> 2) & 3, cases[c].unit);
        CHECK_INT(decode_copy(buf, n, &back), IPL_OK);
        CHECK_INT(back.ts, cases[c].ts);
        CHECK(rec_equal(&r, &back));
        /* the same event as version 1 */
        size_t m = 0;
        v1[m++] = 1;
        v1[m++] = buf[1];
        v1[m++] = buf[0] & 3;
        for (int i = 0; i < 8; i++)
            v1[m++] = (uint8_t)((uint64_t)r.ts >> (8 * i));
        memcpy(v1 + m, buf + 2 + cases[c].tsbytes, n - 2 - cases[c].tsbytes);
        m += n - 2 - cases[c].tsbytes;
        CHECK_INT(m, n + 9 - cases[c].tsbytes);
        int rc = decode_copy(v1, m, &back);
        if (rc)
            fprintf(stderr, "  version 1 of case %zu refused\n", c);
        CHECK_INT(rc, IPL_OK);
        CHECK(rec_equal(&r, &back));
    }
}

int main(void)
{
    RUN(test_time_units);
    RUN(test_round_trip_v4);
    RUN(test_round_trip_v6);
    RUN(test_round_trip_no_ip);
    RUN(test_round_trip_attrs);
    RUN(test_round_trip_max_attrs);
    RUN(test_decode_truncated);
    RUN(test_decode_bad_version);
    RUN(test_decode_trailing);
    RUN(test_decode_nattr_over_max);
    RUN(test_decode_bad_fields);
    RUN(test_decode_mutations);
    return check_summary();
}
