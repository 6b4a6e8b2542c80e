/* engine/record.c — the compact, versioned on-disk form of an event (layout in store_int.h). */
#include "engine/err.h"
#include "engine/store_int.h"

#include <string.h>

static size_t put_varint(uint8_t *p, uint64_t v)
{
    size_t n = 0;
    while (v >= 0x80) {
        p[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    p[n++] = (uint8_t)v;
    return n;
}

static int get_varint(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
    uint64_t r = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (*p >= end)
            return IPL_ECORRUPT;
        uint8_t b = *(*p)++;
        r |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *v = r;
            return IPL_OK;
        }
    }
    return IPL_ECORRUPT;
}

size_t ipl_record_encode(const ipl_rec *r, uint8_t *buf, size_t cap)
{
    /* worst case of the fixed part: 3 + 8 + 16 + 7 varints of 10 + 1 */
    if (cap < 128)
        return 0;
    uint8_t *p = buf, *end = buf + cap;
    int v6 = r->has_ip && memcmp(r->ip, "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12) != 0;
    int64_t t = r->ts;
    unsigned unit = 0;
    if (t % 1000000 == 0) {
        unit = 2;
        t /= 1000000;
    } else if (t % 1000 == 0) {
        unit = 1;
        t /= 1000;
    }
    *p++ = (uint8_t)(IPL_RECORD_VERSION << 4 | unit << 2 | (r->has_ip ? 1u : 0u) | (v6 ? 2u : 0u));
    *p++ = (uint8_t)r->kind;
    p += put_varint(p, (uint64_t)t << 1 ^ (uint64_t)(t >> 63));   /* zigzag */
    if (r->has_ip) {
        memcpy(p, v6 ? r->ip : r->ip + 12, v6 ? 16 : 4);
        p += v6 ? 16 : 4;
    }
    p += put_varint(p, r->mac);
    p += put_varint(p, r->duid);
    p += put_varint(p, r->host);
    p += put_varint(p, r->user);
    p += put_varint(p, r->server);
    p += put_varint(p, r->source);
    p += put_varint(p, r->line);
    *p++ = (uint8_t)r->nattr;
    for (uint32_t i = 0; i < r->nattr; i++) {
        if ((size_t)(end - p) < 16 + (r->attr[i].interned ? 0 : r->attr[i].len))
            return 0;
        *p++ = (uint8_t)(r->attr[i].key | (r->attr[i].interned ? 0x80 : 0));
        if (r->attr[i].interned) {
            p += put_varint(p, r->attr[i].id);
        } else {
            p += put_varint(p, r->attr[i].len);
            memcpy(p, r->attr[i].val, r->attr[i].len);
            p += r->attr[i].len;
        }
    }
    return (size_t)(p - buf);
}

int ipl_record_decode(const void *buf, size_t len, ipl_rec *r)
{
    const uint8_t *p = buf, *end = p + len;
    uint64_t v;
    memset(r, 0, offsetof(ipl_rec, attr));
    uint8_t flags;
    if (ipl_record_head(&p, end, &flags, &r->kind, &r->ts))
        return IPL_ECORRUPT;
    if (flags & 1) {
        size_t n = (flags & 2) ? 16 : 4;
        if ((size_t)(end - p) < n)
            return IPL_ECORRUPT;
        if (n == 4) {
            memcpy(r->ip, "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12);
            memcpy(r->ip + 12, p, 4);
        } else {
            memcpy(r->ip, p, 16);
        }
        r->has_ip = 1;
        p += n;
    }
    uint32_t *ids[6] = {&r->mac, &r->duid, &r->host, &r->user, &r->server, &r->source};
    for (int i = 0; i < 6; i++) {
        if (get_varint(&p, end, &v) || v > UINT32_MAX)
            return IPL_ECORRUPT;
        *ids[i] = (uint32_t)v;
    }
    if (get_varint(&p, end, &r->line) || p >= end)
        return IPL_ECORRUPT;
    r->nattr = *p++;
    if (r->nattr > IPL_ATTR_MAX)
        return IPL_ECORRUPT;
    for (uint32_t i = 0; i < r->nattr; i++) {
        if (p >= end)
            return IPL_ECORRUPT;
        uint8_t k = *p++;
        r->attr[i].key = k & 0x7f;
        r->attr[i].interned = (k & 0x80) != 0;
        if (get_varint(&p, end, &v))
            return IPL_ECORRUPT;
        if (r->attr[i].interned) {
            if (v > UINT32_MAX)
                return IPL_ECORRUPT;
            r->attr[i].id = (uint32_t)v;
        } else {
            if (v > (uint64_t)(end - p))
                return IPL_ECORRUPT;
            r->attr[i].len = (uint32_t)v;
            r->attr[i].val = p;
            p += v;
        }
    }
    return p == end ? IPL_OK : IPL_ECORRUPT;
}

uint32_t ipl_rec_max_id(const ipl_rec *r)
{
    uint32_t m = r->mac;
    const uint32_t ids[5] = {r->duid, r->host, r->user, r->server, r->source};
    for (int i = 0; i < 5; i++)
        if (ids[i] > m)
            m = ids[i];
    for (uint32_t i = 0; i < r->nattr; i++)
        if (r->attr[i].interned && r->attr[i].id > m)
            m = r->attr[i].id;
    return m;
}
