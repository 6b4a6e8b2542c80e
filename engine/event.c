/* engine/event.c — kind and attribute tables, event helpers. */
#include "engine/event.h"
#include "engine/err.h"

#include <string.h>

static const char *const kind_names[IPL_K__COUNT] = {
#define IPL_KIND_NAME(name, val, text) [val] = text,
    IPL_KINDS(IPL_KIND_NAME)
#undef IPL_KIND_NAME
};

const char *ipl_kind_name(unsigned kind)
{
    return kind < IPL_K__COUNT && kind_names[kind] ? kind_names[kind] : "unknown";
}

int ipl_kind_parse(const char *name, size_t len)
{
    for (unsigned k = 0; k < IPL_K__COUNT; k++)
        if (kind_names[k] && strlen(kind_names[k]) == len && memcmp(kind_names[k], name, len) == 0)
            return (int)k;
    return -1;
}

int ipl_kind_opens_lease(unsigned kind)
{
    return kind == IPL_K_LEASE_ASSIGN || kind == IPL_K_LEASE_RENEW || kind == IPL_K_LEASE_BOOTP ||
           kind == IPL_K_LEASE_V6_CONFIRM;
}

int ipl_kind_closes_lease(unsigned kind)
{
    /* a decline: the client found the address in use and gave it back (RFC 2131 4.4.4) */
    return kind == IPL_K_LEASE_RELEASE || kind == IPL_K_LEASE_EXPIRE || kind == IPL_K_LEASE_DELETE ||
           kind == IPL_K_LEASE_DECLINE;
}

unsigned ipl_ix_class(unsigned kind)
{
    if (ipl_kind_opens_lease(kind))
        return IPL_IXC_OPEN;
    if (ipl_kind_closes_lease(kind))
        return IPL_IXC_CLOSE;
    const char *n = ipl_kind_name(kind);
    if (strncmp(n, "lease.", 6) == 0 || strncmp(n, "dns.", 4) == 0)
        return IPL_IXC_LEASE;
    return IPL_IXC_REST;
}

static const struct {
    const char *name;
    int interned;
} attr_defs[IPL_A__COUNT] = {
#define IPL_ATTR_DEF(name, val, text, interned) [val] = {text, interned},
    IPL_ATTRS(IPL_ATTR_DEF)
#undef IPL_ATTR_DEF
};

const char *ipl_attr_name(unsigned key)
{
    return key < IPL_A__COUNT ? attr_defs[key].name : NULL;
}

int ipl_attr_parse(const char *name, size_t len)
{
    for (unsigned k = 1; k < IPL_A__COUNT; k++)
        if (attr_defs[k].name && strlen(attr_defs[k].name) == len &&
            memcmp(attr_defs[k].name, name, len) == 0)
            return (int)k;
    return -1;
}

int ipl_attr_interned(unsigned key)
{
    return key < IPL_A__COUNT && attr_defs[key].interned;
}

void ipl_event_reset(ipl_event *ev)
{
    memset(ev, 0, sizeof *ev);
}

int ipl_event_add_attr(ipl_event *ev, unsigned key, const char *val, size_t len)
{
    if (key == 0 || key >= IPL_A__COUNT)
        return IPL_EINVAL;
    if (len > IPL_ATTR_VAL_MAX)
        return IPL_EINVAL;
    if (ev->nattr >= IPL_ATTR_MAX)
        return IPL_ELIMIT;
    ev->attr[ev->nattr].key = (uint8_t)key;
    ev->attr[ev->nattr].val = val;
    ev->attr[ev->nattr].len = (uint32_t)len;
    ev->nattr++;
    return IPL_OK;
}

const char *ipl_event_attr(const ipl_event *ev, unsigned key, size_t *len)
{
    for (uint32_t i = 0; i < ev->nattr; i++)
        if (ev->attr[i].key == key) {
            if (len)
                *len = ev->attr[i].len;
            return ev->attr[i].val;
        }
    return NULL;
}
