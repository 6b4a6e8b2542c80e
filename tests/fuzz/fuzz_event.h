/* tests/fuzz/fuzz_event.h — the event check every parser fuzz target runs on what it is given:
 * every field read (so ASan sees a bad pointer or length), the kind in range, strings under the
 * store's limit, attributes in range and bounded, and (mac12) a MAC of exactly 12 hex digits. The
 * reads feed `sink` so the compiler keeps them. */
#ifndef IPL_FUZZ_EVENT_H
#define IPL_FUZZ_EVENT_H

#include "engine/addr.h"
#include "engine/err.h"
#include "engine/event.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static volatile size_t sink;

static inline void touch_str(const char *s)
{
    if (s) {
        size_t n = strlen(s);
        if (n >= IPL_STR_MAX)
            abort();                     /* the event's string limit */
        sink += n;
    }
}

static inline void fuzz_check_event(const ipl_event *ev, int mac12)
{
    char ip[IPL_IP_TEXT];
    if (ev->has_ip)
        sink += ipl_ip_format(ev->ip, ip, sizeof ip);
    if (ev->kind == IPL_K_NONE || ev->kind >= IPL_K__COUNT)
        abort();
    if (mac12 && ev->mac && strlen(ev->mac) != 12)
        abort();
    touch_str(ev->mac);
    touch_str(ev->duid);
    touch_str(ev->host);
    touch_str(ev->user);
    touch_str(ev->server);
    if (ev->nattr > IPL_ATTR_MAX)
        abort();
    for (uint32_t i = 0; i < ev->nattr; i++) {
        const ipl_attr *a = &ev->attr[i];
        if (a->key == 0 || a->key >= IPL_A__COUNT || a->len > IPL_ATTR_VAL_MAX)
            abort();
        for (uint32_t k = 0; k < a->len; k++)
            sink += (unsigned char)a->val[k];
    }
    sink += (size_t)ev->ts;
}

#endif
