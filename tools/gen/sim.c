/* tools/gen/sim.c — the synthetic enterprise and its discrete-event simulation.
 *
 * The enterprise: --sites sites, each with one DHCP server (v4 and v6) in its own time zone, and
 * --devices devices spread round-robin over the sites. Per site:
 *
 *   v4 scopes   10.<site>.<4k>.0/22, k = 0..63; pool = offsets 10 .. 10+size-1
 *               desktop scopes: lease 1 day, pool 1.15 x their devices
 *               mobile scopes (laptops, phones): lease 8 h, pool 1.2 x their devices, except the
 *               site's last mobile scope, kept tight (0.88 x) so that busy days exhaust it (14)
 *   v6 prefix   2001:db8:<site>::/64, interface ids unique per device and address generation
 *
 * Time is UTC seconds. Each actor — a site (ids 0..sites-1) or a device (ids sites..) — sits in
 * one binary heap keyed by (next time, id); popping the minimum and handling it produces the
 * happenings in global time order, with equal times ordered by actor id. Memory is one heap slot,
 * one device record and ~1.2 address records per device, whatever the number of days.
 *
 * A device's day (local time of its site): on weekdays most devices come online in the morning and
 * leave in the evening, on weekends few do; ~15% of desktops never switch off. Online:
 *
 *   lease still valid (desktops overnight)  -> Renew (INIT-REBOOT request acknowledged)
 *   otherwise                               -> maybe NACK (15) of a home-network address or of
 *                                              its previous address now held by someone else,
 *                                              then Assign (10) of its previous address if free,
 *                                              else the address free the longest (FIFO pool);
 *                                              rarely a conflict (13) on the chosen address
 *                                              first; none free -> 14, retry in 10-40 min
 *   then DNS update request/success (30/32), then the same for v6 when dual stack
 *   renew (11) at half the lease time while online
 *   offline: a clean shutdown releases (12), otherwise the device vanishes and its lease expires
 *            at exactly last renew + lease time (18). Real servers log expiry at their next
 *            cleanup; logging it at the instant keeps the log and the ground truth identical.
 *
 * An address is not handed out again within GEN_REUSE_GAP seconds of its release or expiry, so no
 * two holders of one address ever meet in the same second. Once a week per site (local noon-ish)
 * the service stops for 30-120 s (rows 01 / header / 00); device actions falling into the outage
 * are deferred to just after the restart (an expiry inside it is logged, and ends, then).
 * Sites log a database cleanup (24/25) every hour.
 *
 * Sessions (--mix all only; every draw from a per-device session stream, so the DHCP history is the
 * same as with --mix mswin). Each device's owner logs on through up to three channels, each its own
 * timer: the domain (Windows PCs: the site's DC logs the logon), Wi-Fi 802.1X (phones, half the
 * laptops: RADIUS accounting) and admin access (6% of PCs: SSH to the site's Linux server or RDP
 * to a Windows server). A presence window opens when the device is online with a v4 lease (for
 * always-on desktops: the owner's working day) and closes before the device goes offline, so every
 * session lies inside a lease interval: a logon comes 30 s to 10 min after the lease, the logoff
 * 1-15 min before the device leaves. Breaks (lunch, Wi-Fi roaming, short admin sessions) leave
 * held leases with nobody logged on, as do nights and weekends of leases that have not expired.
 * Windows DHCP sites also log a few configuration changes a week (scope option, reservations).
 */
#include "tools/gen/gen.h"

#include "engine/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define US IPL_US_PER_SEC

enum step {
    ST_NONE, ST_ON, ST_ASSIGN4, ST_DNS4REQ, ST_DNS4OK, ST_ON6, ST_DNS6REQ, ST_DNS6OK,
    ST_RENEW, ST_OFF, ST_OFF6
};

#define LEASE_DESKTOP   86400
#define LEASE_MOBILE    28800
#define SCOPE_DEVICES   800         /* devices per scope before a site gets another one */
#define SCOPE_MAX       64          /* /22 scopes in 10.<site>.0.0/16 */
#define POOL_FIRST      10          /* .0-.9 of each /22: router, statics */
#define POOL_MAX        1012
#define RETRIES         6           /* pool exhausted: retries per session */
#define NAME_SPACE      UINT64_C(78364164096)       /* 36^7 hostname suffixes */
#define FREE_FOREVER    (-(INT64_C(1) << 40))

/* One address of a v4 pool. */
struct addr {
    int64_t  free_at;               /* when it was last released/expired (or blocked until) */
    int32_t  holder;                /* device index, -1 when free */
    uint8_t  inq;                   /* has an entry in its scope's FIFO ring */
    uint8_t  ever;                  /* was ever leased */
};

/* A site's own timers: its days, hourly cleanup and weekly service restarts. */
struct site_actor {
    uint64_t rng;
    int      next_day;              /* index of the next GEN_H_DAY */
    int64_t  t_day, t_clean, t_stop, t_start;
    int64_t *out_a, *out_b;         /* outages [a, b): stop at a, start at b */
    int      nout, out_i;
    int      clean_off;             /* cleanup at this many seconds past each UTC hour */
    uint32_t expired;               /* v4 expiries since the last cleanup */
    /* --mix all, Windows DHCP sites: configuration changes */
    int64_t *cfg_t, t_cfg;
    uint8_t *cfg_kind;
    uint32_t *cfg_obj, *cfg_user;
    int      ncfg, cfg_i;
};

/* Session channels of a device (--mix all). */
enum { CH_DC, CH_WIFI, CH_ADMIN, NCH };
#define MIN_SESSION 600             /* a channel logs on only when this much presence is left */

struct sess {
    uint64_t rng;                   /* the session stream: never drawn for DHCP */
    int64_t  t[NCH];                /* each channel's next action, GEN_NEVER when idle */
    int64_t  since[NCH];            /* the open session's logon, 0 when none */
    int64_t  wend;                  /* sessions end before this: the device leaves then */
    uint64_t sid[NCH];
    uint32_t ip4[NCH];              /* the v4 address the open session came from */
    uint32_t gen6[NCH];             /* Wi-Fi of a dual-stack device: its v6 generation, 0 none */
    uint32_t seq;                   /* sessions so far (low bits of session ids) */
    uint16_t port[NCH];
    uint8_t  via[NCH];
    uint8_t  caps;                  /* 1 << channel: the channels the device uses */
    uint8_t  started;               /* the current presence has its window */
};

struct gen_sim {
    gen_opts    opt;
    gen_ctx     ctx;
    gen_site   *sites;
    int         nsites;
    gen_scope  *scopes;
    int         nscopes;
    gen_device *devs;
    uint32_t    ndev;
    struct addr *addr;
    uint32_t    naddr;
    uint32_t   *ring, *rhead, *rcount;      /* per-scope FIFO of free addresses, in ring[base..] */
    struct site_actor *sa;
    uint32_t   *heap, nheap;                /* actor ids */
    int64_t    *key;                        /* per actor */
    struct sess *sess;                      /* [ndev], --mix all only (else NULL) */
    const gen_sink *sinks;
    int         nsinks;
    ipl_diag   *d;
    int         err;
};

/* Behaviour per device type: presence, session times (local seconds), shutdown habits. */
static const struct behaviour {
    uint32_t p_weekday, p_weekend;  /* ppm present that day */
    int32_t  on_lo, on_span;        /* weekday arrival: on_lo + U(0, on_span) */
    int32_t  dur_lo, dur_span;      /* weekday stay */
    uint32_t p_clean;               /* ppm: releases its lease when leaving */
    uint32_t p_foreign;             /* ppm per session: asks for a home-network address first */
    uint32_t p_v6;                  /* ppm: dual stack */
} behaviours[GEN_DEVTYPES] = {
    [GEN_DESKTOP] = { 900000,  40000, 7 * 3600,     9000, 8 * 3600,  9000, 100000,     0, 350000 },
    [GEN_LAPTOP]  = { 850000, 120000, 27000,        9000, 6 * 3600, 14400, 600000, 30000, 350000 },
    [GEN_IPHONE]  = { 880000, 100000, 24300,        9000, 8 * 3600, 10800,      0, 20000, 250000 },
    [GEN_ANDROID] = { 880000, 100000, 24300,        9000, 8 * 3600, 10800,      0, 20000, 250000 },
};

static const char *const type_prefix[GEN_DEVTYPES] = {
    [GEN_DESKTOP] = "DESKTOP-", [GEN_LAPTOP] = "LAPTOP-",
    [GEN_IPHONE] = "IPHONE-",   [GEN_ANDROID] = "ANDROID-",
};

static const struct { const char *code, *tz; } site_table[] = {
    { "fra", "Europe/Berlin" },      { "nyc", "America/New_York" },
    { "tyo", "Asia/Tokyo" },         { "rey", "UTC" },
    { "syd", "Australia/Sydney" },   { "lon", "Europe/London" },
    { "chi", "America/Chicago" },    { "blr", "Asia/Kolkata" },
    { "sao", "America/Sao_Paulo" },  { "lax", "America/Los_Angeles" },
    { "sin", "Asia/Singapore" },     { "par", "Europe/Paris" },
};
#define SITE_TABLE_N ((int)(sizeof site_table / sizeof site_table[0]))

static const uint32_t pc_ouis[] = { 0x3C5282, 0xD4BED9, 0x8C1645, 0x54E1AD, 0xF8B156 };
static const uint32_t android_ouis[] = { 0x5C0A5B, 0x8C7712, 0xA0C9A0 };

static const char *const first_names[] = {
    "anna", "ben", "carla", "david", "elena", "felix", "greta", "hugo", "ines", "jonas",
    "kim", "lena", "marco", "nina", "oscar", "paula", "quentin", "rosa", "sven", "tara",
    "ugo", "vera", "wim", "xenia", "yusuf", "zoe", "akira", "mei", "raj", "sofia", "liam", "emma",
};
static const char *const last_names[] = {
    "schmidt", "miller", "tanaka", "garcia", "nguyen", "kowalski", "rossi", "dubois", "silva",
    "jensen", "kumar", "smith", "novak", "ivanova", "haddad", "okafor", "larsen", "moreau",
    "sato", "fischer", "lopez", "brown", "weber", "khan", "costa", "meyer", "wagner", "suzuki",
    "berg", "klein", "hansen", "martin",
};
#define NFIRST (sizeof first_names / sizeof first_names[0])
#define NLAST  (sizeof last_names / sizeof last_names[0])

/* ---------------------------------------------------------------- identity helpers */

size_t gen_device_host(const gen_device *dev, char *buf)
{
    static const char digits[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    const char *pre = type_prefix[dev->type];
    size_t n = strlen(pre);
    memcpy(buf, pre, n);
    uint64_t c = dev->name_code;
    for (int i = 6; i >= 0; i--) {
        buf[n + (size_t)i] = digits[c % 36];
        c /= 36;
    }
    n += 7;
    buf[n++] = '.';
    memcpy(buf + n, GEN_DOMAIN, sizeof GEN_DOMAIN);     /* with its NUL */
    return n + sizeof GEN_DOMAIN - 1;
}

uint64_t gen_device_iid(uint64_t salt, uint32_t id, uint32_t gen)
{
    /* gen_mix64 is a bijection and the inputs (id << 20 | gen) < 2^44 are distinct */
    uint64_t iid = gen_mix64(salt ^ (((uint64_t)id << 20) | (gen & 0xfffff)));
    return iid ? iid : 1;
}

void gen_device_duid(const gen_device *dev, uint8_t out[14])
{
    out[0] = 0; out[1] = 1;         /* DUID-LLT */
    out[2] = 0; out[3] = 1;         /* hardware type Ethernet */
    out[4] = (uint8_t)(dev->duid_time >> 24);
    out[5] = (uint8_t)(dev->duid_time >> 16);
    out[6] = (uint8_t)(dev->duid_time >> 8);
    out[7] = (uint8_t)dev->duid_time;
    memcpy(out + 8, dev->mac, 6);
}

size_t gen_user_name(uint32_t user, char *buf, size_t n)
{
    /* by hand: it runs for every logon row (buf >= 64 holds the longest name) */
    uint32_t f = user % NFIRST, l = (user / NFIRST) % NLAST, k = user / (NFIRST * NLAST);
    char tmp[96], *p = tmp;
    p = GEN_PUTS(p, GEN_NT_DOMAIN "\\");
    p = gen_put(p, first_names[f], strlen(first_names[f]));
    *p++ = '.';
    p = gen_put(p, last_names[l], strlen(last_names[l]));
    if (k)
        p = gen_put_u64(p, k);
    size_t len = (size_t)(p - tmp);
    if (len >= n)
        len = n - 1;
    memcpy(buf, tmp, len);
    buf[len] = '\0';
    return len;
}

size_t gen_user_login(uint32_t user, char *buf, size_t n)
{
    char full[96];
    size_t k = gen_user_name(user, full, sizeof full);
    size_t skip = sizeof GEN_NT_DOMAIN;                     /* "CONTOSO\\" */
    size_t len = k > skip ? k - skip : 0;
    if (len >= n)
        len = n - 1;
    memcpy(buf, full + skip, len);
    buf[len] = '\0';
    return len;
}

size_t gen_session_user(const gen_site *site, int via, uint32_t user, char *buf, size_t n)
{
    if (via == GEN_VIA_SSH)
        return gen_user_login(user, buf, n);
    if (via == GEN_VIA_WIFI && site->vendor != GEN_V_MSWIN) {
        size_t k = gen_user_login(user, buf, n);
        if (k + sizeof GEN_DOMAIN + 1 > n)
            return k;
        buf[k] = '@';
        memcpy(buf + k + 1, GEN_DOMAIN, sizeof GEN_DOMAIN);         /* with its NUL */
        return k + sizeof GEN_DOMAIN;
    }
    return gen_user_name(user, buf, n);
}

size_t gen_device_short(const gen_device *dev, char *buf)
{
    char host[48];
    size_t n = gen_device_host(dev, host);
    size_t k = 0;
    while (k < n && host[k] != '.')
        k++;
    memcpy(buf, host, k);
    buf[k] = '\0';
    return k;
}

const char *gen_via_format(const gen_site *site, int via)
{
    switch (via) {
    case GEN_VIA_DC:
    case GEN_VIA_RDP:
        return site->dc_json ? "winsec-json" : "winsec-xml";
    case GEN_VIA_WIFI:
        return site->vendor == GEN_V_MSWIN ? "nps-ias" : "freeradius-detail";
    default:
        return site->lnx_mixed ? "syslog" : "sshd";
    }
}

/* A bijection of [0, 2^24): the NIC half of MACs, unique per device. */
static uint32_t perm24(uint32_t x, uint32_t key)
{
    x &= 0xffffff;
    for (int r = 0; r < 3; r++) {
        x = (x * 0x2545F5u + key) & 0xffffff;
        x ^= x >> 11;
    }
    return x;
}

/* ---------------------------------------------------------------- site clocks */

/* Local seconds of day `d` -> UTC. Days without a DST change are plain arithmetic; on a change
 * day the zone decides (a gap time reads with the offset before the gap, an overlap takes the
 * earlier instant). */
static int64_t local_to_utc(const gen_site *s, int d, int32_t secs)
{
    if (s->day_off[d] != GEN_OFF_VARIES)
        return s->day_start[d] + secs;
    ipl_civil c = { 0 };
    ipl_civil_from_days(s->start_days + d, &c.year, &c.mon, &c.day);
    c.hour = secs / 3600;
    c.min = secs / 60 % 60;
    c.sec = secs % 60;
    int64_t e, l;
    if (ipl_tz_to_utc(s->tz, &c, &e, &l) < 0)
        return s->day_start[d] + secs;
    return e / US;
}

/* Index of the local day holding t: -1 before the period, days after it. */
static int site_day(const gen_site *s, int64_t t)
{
    if (t < s->day_start[0])
        return -1;
    if (t >= s->day_start[s->days])
        return s->days;
    int lo = 0, hi = s->days - 1;
    while (lo < hi) {
        int mid = (lo + hi + 1) / 2;
        if (s->day_start[mid] <= t)
            lo = mid;
        else
            hi = mid - 1;
    }
    return lo;
}

void gen_site_local(gen_site *s, int64_t t, gen_local *out)
{
    int d = s->clock_day;
    if (d < 0 || d >= s->days || t < s->day_start[d] || t >= s->day_start[d + 1]) {
        if (d >= 0 && d + 1 < s->days && t >= s->day_start[d + 1] && t < s->day_start[d + 2])
            d++;
        else
            d = site_day(s, t);
        if (d >= 0 && d < s->days)
            s->clock_day = d;
    }
    out->day = d;
    if (d >= 0 && d < s->days && s->day_off[d] != GEN_OFF_VARIES) {
        int32_t secs = (int32_t)(t - s->day_start[d]);
        ipl_civil_from_days(s->start_days + d, &out->y, &out->m, &out->d);
        out->hh = secs / 3600;
        out->mm = secs / 60 % 60;
        out->ss = secs % 60;
        return;
    }
    ipl_civil c;
    int off, dst;
    ipl_tz_to_local(s->tz, t * US, &c, &off, &dst);
    out->y = c.year; out->m = c.mon; out->d = c.day;
    out->hh = c.hour; out->mm = c.min; out->ss = c.sec;
}

int gen_site_ambiguous(const gen_site *s, int64_t t)
{
    ipl_civil c;
    int off, dst;
    int64_t e, l;
    ipl_tz_to_local(s->tz, t * US, &c, &off, &dst);
    c.usec = 0;
    return ipl_tz_to_utc(s->tz, &c, &e, &l) == 2;
}

static int site_clock_init(gen_site *s, int64_t start_days, int days, ipl_diag *d)
{
    s->start_days = start_days;
    s->days = days;
    s->day_start = malloc(sizeof *s->day_start * (size_t)(days + 1));
    s->day_off = malloc(sizeof *s->day_off * (size_t)days);
    if (!s->day_start || !s->day_off)
        return ipl_diag_set(d, IPL_ENOMEM, "out of memory for site '%s'", s->code);
    for (int i = 0; i <= days; i++) {
        ipl_civil c = { 0 };
        ipl_civil_from_days(start_days + i, &c.year, &c.mon, &c.day);
        int64_t e, l;
        if (ipl_tz_to_utc(s->tz, &c, &e, &l) < 0)
            return ipl_diag_set(d, IPL_EINVAL, "cannot convert local midnight in '%s'", s->tzname);
        s->day_start[i] = e / US;
    }
    for (int i = 0; i < days; i++) {
        ipl_civil c;
        int o1, o2, dst;
        ipl_tz_to_local(s->tz, s->day_start[i] * US, &c, &o1, &dst);
        ipl_tz_to_local(s->tz, (s->day_start[i + 1] - 1) * US, &c, &o2, &dst);
        s->day_off[i] = (s->day_start[i + 1] - s->day_start[i] == 86400 && o1 == o2)
                        ? o1 : GEN_OFF_VARIES;
    }
    s->start = s->day_start[0];
    s->end = s->day_start[days];
    s->clock_day = 0;
    return IPL_OK;
}

/* ---------------------------------------------------------------- the actor heap */

static int heap_less(const gen_sim *s, uint32_t a, uint32_t b)
{
    return s->key[a] < s->key[b] || (s->key[a] == s->key[b] && a < b);
}

static void heap_down(gen_sim *s, uint32_t i)
{
    uint32_t n = s->nheap, x = s->heap[i];
    for (;;) {
        uint32_t c = 2 * i + 1;
        if (c >= n)
            break;
        if (c + 1 < n && heap_less(s, s->heap[c + 1], s->heap[c]))
            c++;
        if (!heap_less(s, s->heap[c], x))
            break;
        s->heap[i] = s->heap[c];
        i = c;
    }
    s->heap[i] = x;
}

static void heap_push(gen_sim *s, uint32_t id)
{
    uint32_t i = s->nheap++;
    while (i > 0) {
        uint32_t p = (i - 1) / 2;
        if (!heap_less(s, id, s->heap[p]))
            break;
        s->heap[i] = s->heap[p];
        i = p;
    }
    s->heap[i] = id;
}

/* ---------------------------------------------------------------- emitting */

static void emit(gen_sim *s, const gen_happening *h)
{
    if (s->err)
        return;
    for (int i = 0; i < s->nsinks; i++) {
        int rc = s->sinks[i].ops->emit(s->sinks[i].state, h, s->d);
        if (rc) {
            s->err = rc;
            return;
        }
    }
}

static void emit_site(gen_sim *s, int site, int kind, int64_t t, int day, uint32_t count)
{
    gen_happening h = { .t = t, .kind = kind, .day = day, .site = &s->sites[site],
                        .count = count };
    emit(s, &h);
}

static gen_ip addr_ip(const gen_sim *s, const gen_device *dv, int32_t idx)
{
    const gen_scope *sc = &s->scopes[dv->scope];
    return gen_ip4(sc->net + sc->first + (uint32_t)idx - sc->base);
}

static gen_ip dev_ip6(const gen_sim *s, const gen_device *dv)
{
    gen_ip ip = { gen_site_v6_hi(dv->site), gen_device_iid(s->ctx.salt, dv->id, dv->gen6) };
    return ip;
}

static void emit_dev(gen_sim *s, gen_device *dv, int kind, int family, int64_t t, gen_ip ip,
                     uint32_t xid, int64_t since)
{
    gen_happening h = { .t = t, .since = since, .kind = kind, .family = family,
                        .site = &s->sites[dv->site], .dev = dv, .ip = ip, .xid = xid };
    emit(s, &h);
}

static uint32_t xid(gen_device *dv)
{
    return (uint32_t)(gen_rand(&dv->rng) >> 32);
}

/* ---------------------------------------------------------------- v4 pools */

static void pool_push(gen_sim *s, const gen_scope *sc, uint32_t idx)
{
    uint32_t k = (uint32_t)(sc - s->scopes);
    if (s->addr[idx].inq)
        return;
    s->ring[sc->base + (s->rhead[k] + s->rcount[k]) % sc->size] = idx;
    s->rcount[k]++;
    s->addr[idx].inq = 1;
}

/* The address free the longest and past its reuse gap, or -1. Entries of addresses taken out of
 * order (a device's previous address) are dropped here; addresses still blocked rotate to the
 * back a few times before the pool counts as exhausted. */
static int32_t pool_pop(gen_sim *s, const gen_scope *sc, int64_t t)
{
    uint32_t k = (uint32_t)(sc - s->scopes);
    int rotations = 0;
    while (s->rcount[k] > 0) {
        uint32_t idx = s->ring[sc->base + s->rhead[k]];
        struct addr *a = &s->addr[idx];
        s->rhead[k] = (s->rhead[k] + 1) % sc->size;
        s->rcount[k]--;
        a->inq = 0;
        if (a->holder >= 0)
            continue;
        if (a->free_at + GEN_REUSE_GAP > t) {
            pool_push(s, sc, idx);
            if (++rotations > 8)
                return -1;
            continue;
        }
        return (int32_t)idx;
    }
    return -1;
}

static void free_addr(gen_sim *s, gen_device *dv, int64_t t)
{
    struct addr *a = &s->addr[dv->held4];
    a->holder = -1;
    a->free_at = t;
    pool_push(s, &s->scopes[dv->scope], (uint32_t)dv->held4);
    dv->held4 = -1;
    dv->t_exp4 = GEN_NEVER;
}

/* ---------------------------------------------------------------- device behaviour */

static int32_t lease4(const gen_sim *s, const gen_device *dv)
{
    return s->scopes[dv->scope].lease_s;
}
static int32_t lease6(const gen_device *dv)
{
    return dv->type == GEN_DESKTOP ? LEASE_DESKTOP : LEASE_MOBILE;
}

static void at(gen_device *dv, int step, int64_t t)
{
    dv->step = (uint8_t)step;
    dv->t_step = t;
}

/* Plans the device's next session after `now`: the first day (from now's day on) it shows up,
 * arriving after now. No such day in the period: no more steps. */
static void plan(gen_sim *s, gen_device *dv, int64_t now)
{
    const gen_site *site = &s->sites[dv->site];
    const struct behaviour *b = &behaviours[dv->type];
    int d = site_day(site, now);
    if (d < 0)
        d = 0;
    dv->tries = 0;
    if (s->sess)
        s->sess[dv->id].started = 0;
    for (; d < site->days; d++) {
        int wd = ipl_weekday(site->start_days + d);
        int weekend = wd == 0 || wd == 6;
        int32_t on, dur;
        if (!gen_chance(&dv->rng, weekend ? b->p_weekend : b->p_weekday))
            continue;
        if (weekend) {
            on = 9 * 3600 + (int32_t)gen_below(&dv->rng, 5 * 3600);
            dur = 3600 + (int32_t)gen_below(&dv->rng, 4 * 3600);
        } else {
            on = b->on_lo + (int32_t)gen_below(&dv->rng, (uint32_t)b->on_span);
            dur = b->dur_lo + (int32_t)gen_below(&dv->rng, (uint32_t)b->dur_span);
        }
        int32_t off = on + dur > 86400 - 600 ? 86400 - 600 : on + dur;
        int64_t t_on = local_to_utc(site, d, on);
        if (t_on <= now)
            continue;
        dv->off_at = local_to_utc(site, d, off);
        dv->clean = (uint8_t)gen_chance(&dv->rng, b->p_clean);
        at(dv, ST_ON, t_on);
        return;
    }
    at(dv, ST_NONE, GEN_NEVER);
}

static void sess_presence(gen_sim *s, gen_device *dv, int64_t now);

/* While online: the next renew, or going offline. */
static void run_schedule(gen_sim *s, gen_device *dv, int64_t now)
{
    int64_t next = GEN_NEVER;
    if (s->sess && !s->sess[dv->id].started && dv->held4 >= 0)
        sess_presence(s, dv, now);
    if (dv->held4 >= 0)
        next = dv->last4 + lease4(s, dv) / 2;
    if (dv->held6 && dv->last6 + lease6(dv) / 2 < next)
        next = dv->last6 + lease6(dv) / 2;
    if (next == GEN_NEVER && dv->off_at == GEN_NEVER) {
        at(dv, ST_ON, now + 3600);              /* always on, no lease (pool was full): retry */
        return;
    }
    if (next < dv->off_at) {
        at(dv, ST_RENEW, next);
        return;
    }
    at(dv, ST_OFF, dv->off_at > now ? dv->off_at : now + 1);
}

static void assign4(gen_sim *s, gen_device *dv, int64_t t)
{
    const gen_scope *sc = &s->scopes[dv->scope];
    int32_t cand = -1;
    if (dv->prev4 >= 0 && s->addr[dv->prev4].holder < 0) {
        int64_t ready = s->addr[dv->prev4].free_at + GEN_REUSE_GAP;
        if (ready <= t)
            cand = dv->prev4;
        else if (ready - t <= 120) {            /* released a moment ago: ask again then */
            at(dv, ST_ASSIGN4, ready);
            return;
        }
    }
    if (cand < 0)
        cand = pool_pop(s, sc, t);
    if (cand >= 0 && gen_chance(&dv->rng, 2000)) {
        /* the server pings before offering: somebody answers; the address is blocked for a
         * lease time (BAD_ADDRESS) and another one is offered */
        emit_dev(s, dv, GEN_H_CONFLICT, 4, t, addr_ip(s, dv, cand), 0, 0);
        s->addr[cand].free_at = t + sc->lease_s;
        pool_push(s, sc, (uint32_t)cand);
        cand = pool_pop(s, sc, t);
    }
    if (cand < 0) {
        emit_dev(s, dv, GEN_H_FULL, 4, t, gen_ip4(sc->net), xid(dv), 0);
        int64_t retry = t + 600 + gen_below(&dv->rng, 1800);
        if (++dv->tries < RETRIES && retry < dv->off_at)
            at(dv, ST_ASSIGN4, retry);
        else
            at(dv, ST_ON6, t + 1);
        return;
    }
    struct addr *a = &s->addr[cand];
    a->holder = (int32_t)dv->id;
    a->ever = 1;
    dv->held4 = dv->prev4 = cand;
    dv->since4 = dv->last4 = t;
    dv->t_exp4 = t + sc->lease_s;
    emit_dev(s, dv, GEN_H_ASSIGN, 4, t, addr_ip(s, dv, cand), xid(dv), 0);
    at(dv, ST_DNS4REQ, t + gen_below(&dv->rng, 2));
}

static void online(gen_sim *s, gen_device *dv, int64_t t)
{
    if (dv->held4 >= 0) {                       /* lease still valid: reboot request */
        dv->last4 = t;
        dv->t_exp4 = t + lease4(s, dv);
        emit_dev(s, dv, GEN_H_RENEW, 4, t, addr_ip(s, dv, dv->held4), xid(dv), 0);
        at(dv, ST_ON6, t + 1 + gen_below(&dv->rng, 3));
        return;
    }
    if (gen_chance(&dv->rng, behaviours[dv->type].p_foreign)) {
        uint32_t home = (192u << 24) | (168u << 16) | (gen_below(&dv->rng, 3) << 8)
                        | (2 + gen_below(&dv->rng, 252));
        emit_dev(s, dv, GEN_H_NACK, 4, t, gen_ip4(home), xid(dv), 0);
        at(dv, ST_ASSIGN4, t + 1 + gen_below(&dv->rng, 2));
        return;
    }
    if (dv->prev4 >= 0 && s->addr[dv->prev4].holder >= 0 && gen_chance(&dv->rng, 500000)) {
        emit_dev(s, dv, GEN_H_NACK, 4, t, addr_ip(s, dv, dv->prev4), xid(dv), 0);
        at(dv, ST_ASSIGN4, t + 1 + gen_below(&dv->rng, 2));
        return;
    }
    assign4(s, dv, t);
}

static void online6(gen_sim *s, gen_device *dv, int64_t t)
{
    if (!(dv->flags & GEN_DEV_V6)) {
        run_schedule(s, dv, t);
        return;
    }
    if (dv->held6) {
        dv->last6 = t;
        dv->t_exp6 = t + lease6(dv);
        emit_dev(s, dv, GEN_H_RENEW, 6, t, dev_ip6(s, dv), 0, 0);
        run_schedule(s, dv, t);
        return;
    }
    if (dv->gen6 == 0 || gen_chance(&dv->rng, 200000))
        dv->gen6++;                             /* a new address now and then */
    dv->held6 = 1;
    dv->since6 = dv->last6 = t;
    dv->t_exp6 = t + lease6(dv);
    emit_dev(s, dv, GEN_H_ASSIGN, 6, t, dev_ip6(s, dv), 0, 0);
    at(dv, ST_DNS6REQ, t + gen_below(&dv->rng, 2));
}

static void renew(gen_sim *s, gen_device *dv, int64_t t)
{
    if (dv->held4 >= 0 && dv->last4 + lease4(s, dv) / 2 <= t) {
        dv->last4 = t;
        dv->t_exp4 = t + lease4(s, dv);
        emit_dev(s, dv, GEN_H_RENEW, 4, t, addr_ip(s, dv, dv->held4), xid(dv), 0);
    }
    if (dv->held6 && dv->last6 + lease6(dv) / 2 <= t) {
        dv->last6 = t;
        dv->t_exp6 = t + lease6(dv);
        emit_dev(s, dv, GEN_H_RENEW, 6, t, dev_ip6(s, dv), 0, 0);
    }
    run_schedule(s, dv, t);
}

static void release4(gen_sim *s, gen_device *dv, int64_t t)
{
    emit_dev(s, dv, GEN_H_RELEASE, 4, t, addr_ip(s, dv, dv->held4), xid(dv), dv->since4);
    free_addr(s, dv, t);
}

static void step(gen_sim *s, gen_device *dv, int64_t t)
{
    switch (dv->step) {
    case ST_ON:
        online(s, dv, t);
        break;
    case ST_ASSIGN4:
        assign4(s, dv, t);
        break;
    case ST_DNS4REQ:
        emit_dev(s, dv, GEN_H_DNS_REQ, 4, t, addr_ip(s, dv, dv->held4), 0, 0);
        at(dv, ST_DNS4OK, t + 1 + gen_below(&dv->rng, 2));
        break;
    case ST_DNS4OK:
        emit_dev(s, dv, GEN_H_DNS_OK, 4, t, addr_ip(s, dv, dv->held4), 0, 0);
        at(dv, ST_ON6, t + 1 + gen_below(&dv->rng, 3));
        break;
    case ST_ON6:
        online6(s, dv, t);
        break;
    case ST_DNS6REQ:
        emit_dev(s, dv, GEN_H_DNS_REQ, 6, t, dev_ip6(s, dv), 0, 0);
        at(dv, ST_DNS6OK, t + 1 + gen_below(&dv->rng, 2));
        break;
    case ST_DNS6OK:
        emit_dev(s, dv, GEN_H_DNS_OK, 6, t, dev_ip6(s, dv), 0, 0);
        run_schedule(s, dv, t);
        break;
    case ST_RENEW:
        renew(s, dv, t);
        break;
    case ST_OFF:
        if (dv->clean && dv->held4 >= 0)
            release4(s, dv, t);
        if (dv->clean && dv->held6)
            at(dv, ST_OFF6, t + 1);
        else
            plan(s, dv, t);
        break;
    case ST_OFF6:
        emit_dev(s, dv, GEN_H_RELEASE, 6, t, dev_ip6(s, dv), 0, dv->since6);
        dv->held6 = 0;
        dv->t_exp6 = GEN_NEVER;
        plan(s, dv, t);
        break;
    default:
        at(dv, ST_NONE, GEN_NEVER);
        break;
    }
}

/* ---------------------------------------------------------------- sessions (--mix all) */

static void emit_sess(gen_sim *s, gen_device *dv, int kind, int c, int64_t t)
{
    struct sess *ss = &s->sess[dv->id];
    gen_happening h = { .t = t, .since = ss->since[c], .kind = kind, .family = 4,
                        .site = &s->sites[dv->site], .dev = dv, .ip = gen_ip4(ss->ip4[c]),
                        .sid = ss->sid[c], .user = dv->user, .port = ss->port[c],
                        .via = ss->via[c] };
    if (ss->gen6[c]) {
        gen_ip ip6 = { gen_site_v6_hi(dv->site), gen_device_iid(s->ctx.salt, dv->id, ss->gen6[c]) };
        h.ip6 = ip6;
    }
    emit(s, &h);
}

/* Opens a presence window [a, b): each channel of the device gets its first logon time. */
static void sess_window(gen_sim *s, gen_device *dv, int64_t a, int64_t b)
{
    struct sess *ss = &s->sess[dv->id];
    ss->wend = b;
    for (int c = 0; c < NCH; c++) {
        if (!(ss->caps & (1u << c)) || ss->since[c])
            continue;
        int64_t t = c == CH_DC ? a + 30 + gen_below(&ss->rng, 570)
                  : c == CH_WIFI ? a + 5 + gen_below(&ss->rng, 115)
                  : a + 1800 + gen_below(&ss->rng, (uint32_t)((b - a) / 2 > 1 ? (b - a) / 2 : 1));
        ss->t[c] = t + MIN_SESSION < b ? t : GEN_NEVER;
    }
}

/* Always-on desktops: the owner's next working day after `now` (desktop habits). */
static void sess_next_day(gen_sim *s, gen_device *dv, int64_t now)
{
    const gen_site *site = &s->sites[dv->site];
    struct sess *ss = &s->sess[dv->id];
    const struct behaviour *b = &behaviours[GEN_DESKTOP];
    int d = site_day(site, now);
    for (d = d < 0 ? 0 : d; d < site->days; d++) {
        int wd = ipl_weekday(site->start_days + d);
        int weekend = wd == 0 || wd == 6;
        if (!gen_chance(&ss->rng, weekend ? b->p_weekend : b->p_weekday))
            continue;
        int32_t on = b->on_lo + (int32_t)gen_below(&ss->rng, (uint32_t)b->on_span);
        int32_t off = on + b->dur_lo + (int32_t)gen_below(&ss->rng, (uint32_t)b->dur_span);
        if (off > 86400 - 600)
            off = 86400 - 600;
        int64_t a = local_to_utc(site, d, on);
        if (a <= now)
            continue;
        sess_window(s, dv, a, local_to_utc(site, d, off));
        return;
    }
}

/* The device is online with a v4 lease: the window of this presence. */
static void sess_presence(gen_sim *s, gen_device *dv, int64_t now)
{
    s->sess[dv->id].started = 1;
    if (dv->flags & GEN_DEV_ALWAYS_ON)
        sess_next_day(s, dv, now);
    else if (dv->off_at != GEN_NEVER && dv->off_at > now)
        sess_window(s, dv, now, dv->off_at);
}

static void sess_logon(gen_sim *s, gen_device *dv, int c, int64_t t)
{
    struct sess *ss = &s->sess[dv->id];
    if (dv->held4 < 0 || t + MIN_SESSION >= ss->wend) {
        ss->t[c] = GEN_NEVER;                   /* no address, or too late: not this time */
        return;
    }
    uint64_t *r = &ss->rng;
    ss->sid[c] = ((uint64_t)dv->id << 24) | (ss->seq++ & 0xffffff);
    ss->ip4[c] = (uint32_t)addr_ip(s, dv, dv->held4).lo;
    ss->gen6[c] = c == CH_WIFI && dv->held6 ? dv->gen6 : 0;
    ss->port[c] = (uint16_t)(49152 + gen_below(r, 16384));
    ss->via[c] = c == CH_DC ? GEN_VIA_DC : c == CH_WIFI ? GEN_VIA_WIFI
               : gen_chance(r, 750000) ? GEN_VIA_SSH : GEN_VIA_RDP;
    ss->since[c] = t;
    int64_t end;
    if (c == CH_DC) {                           /* until shortly before leaving, or a break */
        end = ss->wend - 60 - gen_below(r, 840);
        int64_t brk = t + 7200 + gen_below(r, 10800);
        if (gen_chance(r, 350000) && brk + 3600 < end)
            end = brk;
    } else if (c == CH_WIFI) {                  /* until leaving, or roaming drops it */
        end = ss->wend - 10 - gen_below(r, 290);
        int64_t drop = t + 3600 + gen_below(r, 4 * 3600);
        if (gen_chance(r, 400000) && drop + 1800 < end)
            end = drop;
    } else {                                    /* a few minutes to an hour and a half */
        end = t + 300 + gen_below(r, 5100);
        if (end > ss->wend - 120)
            end = ss->wend - 120;
    }
    ss->t[c] = end;
    emit_sess(s, dv, GEN_H_LOGON, c, t);
}

static void sess_logoff(gen_sim *s, gen_device *dv, int c, int64_t t)
{
    struct sess *ss = &s->sess[dv->id];
    uint64_t *r = &ss->rng;
    emit_sess(s, dv, GEN_H_LOGOFF, c, t);
    ss->since[c] = 0;
    int64_t next = c == CH_DC ? t + 900 + gen_below(r, 3600)         /* back from the break */
                 : c == CH_WIFI ? t + 30 + gen_below(r, 570)         /* reconnects */
                 : gen_chance(r, 500000) ? t + 600 + gen_below(r, 6600) : GEN_NEVER;
    ss->t[c] = next != GEN_NEVER && next + MIN_SESSION + 900 < ss->wend ? next : GEN_NEVER;
}

/* Runs the channels due at T; an always-on desktop whose day is over plans the next one. */
static void sess_run(gen_sim *s, gen_device *dv, int64_t T)
{
    struct sess *ss = &s->sess[dv->id];
    int any = 0, due = 0;
    for (int c = 0; c < NCH; c++) {
        if (ss->t[c] == T) {
            due = 1;
            if (ss->since[c])
                sess_logoff(s, dv, c, T);
            else
                sess_logon(s, dv, c, T);
        }
        any |= ss->t[c] != GEN_NEVER;
    }
    if (due && !any && (dv->flags & GEN_DEV_ALWAYS_ON))
        sess_next_day(s, dv, T);
}

static int64_t min3(int64_t a, int64_t b, int64_t c)
{
    int64_t m = a < b ? a : b;
    return m < c ? m : c;
}

/* The device's next time: its DHCP timers and, with --mix all, its session channels. */
static int64_t dev_next(const gen_sim *s, const gen_device *dv)
{
    int64_t m = min3(dv->t_step, dv->t_exp4, dv->t_exp6);
    if (s->sess)
        for (int c = 0; c < NCH; c++)
            if (s->sess[dv->id].t[c] < m)
                m = s->sess[dv->id].t[c];
    return m;
}

/* Handles the device's due timers at T; returns its next time. */
static int64_t device_run(gen_sim *s, gen_device *dv, int64_t T)
{
    const gen_site *site = &s->sites[dv->site];
    struct site_actor *sa = &s->sa[dv->site];
    if (T >= site->end)
        return GEN_NEVER;
    if (s->sess)
        sess_run(s, dv, T);
    if (sa->out_i < sa->nout && T >= sa->out_a[sa->out_i] && T < sa->out_b[sa->out_i]) {
        int64_t later = sa->out_b[sa->out_i] + 1 + dv->id % 29;     /* service is down */
        if (dv->t_exp4 == T)
            dv->t_exp4 = later;
        if (dv->t_exp6 == T)
            dv->t_exp6 = later;
        if (dv->t_step == T)
            dv->t_step = later;
        return dev_next(s, dv);
    }
    if (dv->t_exp4 == T) {
        emit_dev(s, dv, GEN_H_EXPIRE, 4, T, addr_ip(s, dv, dv->held4), 0, dv->since4);
        free_addr(s, dv, T);
        sa->expired++;
    }
    if (dv->t_exp6 == T) {
        emit_dev(s, dv, GEN_H_EXPIRE, 6, T, dev_ip6(s, dv), 0, dv->since6);
        dv->held6 = 0;
        dv->t_exp6 = GEN_NEVER;
    }
    if (dv->t_step == T)
        step(s, dv, T);
    return dev_next(s, dv);
}

/* ---------------------------------------------------------------- site behaviour */

static int64_t site_next(const struct site_actor *sa)
{
    int64_t m = min3(sa->t_day, sa->t_clean, sa->t_stop);
    m = m < sa->t_start ? m : sa->t_start;
    return m < sa->t_cfg ? m : sa->t_cfg;
}

static int64_t site_run(gen_sim *s, int i, int64_t T)
{
    gen_site *site = &s->sites[i];
    struct site_actor *sa = &s->sa[i];
    if (T >= site->end)
        return GEN_NEVER;
    if (sa->t_day == T) {
        emit_site(s, i, GEN_H_DAY, T, sa->next_day, 0);
        if (sa->next_day == 0)
            emit_site(s, i, GEN_H_START, T, 0, 0);
        sa->next_day++;
        sa->t_day = sa->next_day < site->days ? site->day_start[sa->next_day] : GEN_NEVER;
    }
    if (sa->t_start == T) {
        emit_site(s, i, GEN_H_START, T, 0, 0);
        sa->out_i++;
        sa->t_stop = sa->out_i < sa->nout ? sa->out_a[sa->out_i] : GEN_NEVER;
        sa->t_start = GEN_NEVER;
    }
    if (sa->t_stop == T) {
        emit_site(s, i, GEN_H_STOP, T, 0, 0);
        sa->t_stop = GEN_NEVER;
        sa->t_start = sa->out_b[sa->out_i];
    }
    if (sa->t_clean == T) {
        int64_t next = T - ((T - sa->clean_off) % 3600 + 3600) % 3600 + 3600;
        if (sa->out_i < sa->nout && T >= sa->out_a[sa->out_i] && T < sa->out_b[sa->out_i]) {
            next = sa->out_b[sa->out_i] + 5;
        } else {
            emit_site(s, i, GEN_H_CLEANUP, T, 0, sa->expired);
            sa->expired = 0;
        }
        sa->t_clean = next;
    }
    if (sa->t_cfg == T) {
        gen_happening h = { .t = T, .kind = GEN_H_CONFIG, .site = site,
                            .cfg = sa->cfg_kind[sa->cfg_i], .sid = sa->cfg_obj[sa->cfg_i],
                            .user = sa->cfg_user[sa->cfg_i] };
        h.ip = gen_ip4((uint32_t)h.sid);
        emit(s, &h);
        sa->cfg_i++;
        sa->t_cfg = sa->cfg_i < sa->ncfg ? sa->cfg_t[sa->cfg_i] : GEN_NEVER;
    }
    return site_next(sa);
}

/* ---------------------------------------------------------------- building the enterprise */

static int build_sites(gen_sim *s, ipl_diag *d)
{
    for (int i = 0; i < s->nsites; i++) {
        gen_site *site = &s->sites[i];
        site->index = i;
        snprintf(site->code, sizeof site->code, "%s", site_table[i % SITE_TABLE_N].code);
        snprintf(site->tzname, sizeof site->tzname, "%s", site_table[i % SITE_TABLE_N].tz);
        snprintf(site->server, sizeof site->server, "dhcp-%s-%02d.%s", site->code,
                 i / SITE_TABLE_N + 1, GEN_DOMAIN);
        int lap = i / SITE_TABLE_N + 1;
        site->vendor = s->opt.mix == GEN_MIX_ALL ? i % GEN_VENDORS : GEN_V_MSWIN;
        site->dc_json = i % 2 == 1;
        site->lnx_mixed = i % 4 == 1 || i % 4 == 3;
        snprintf(site->dc, sizeof site->dc, "dc-%s-%02d.%s", site->code, lap, GEN_DOMAIN);
        snprintf(site->rds, sizeof site->rds, "rds-%s-%02d.%s", site->code, lap, GEN_DOMAIN);
        snprintf(site->lnx, sizeof site->lnx, "lnx-%s-%02d.%s", site->code, lap, GEN_DOMAIN);
        snprintf(site->radius, sizeof site->radius, "%s-%s-%02d.%s",
                 site->vendor == GEN_V_MSWIN ? "nps" : "radius", site->code, lap, GEN_DOMAIN);
        site->srv_ip = (10u << 24) | ((uint32_t)(i + 1) << 16) | 2;
        site->nas_ip = (10u << 24) | ((uint32_t)(i + 1) << 16) | 4;
        int rc = ipl_tz_load(&site->tz, site->tzname, d);
        if (rc)
            return rc;
        rc = site_clock_init(site, s->ctx.start_days, s->opt.days, d);
        if (rc)
            return rc;
    }
    return IPL_OK;
}

static void build_devices(gen_sim *s)
{
    uint64_t seed = s->opt.seed;
    uint32_t key24 = (uint32_t)gen_mix64(seed ^ UINT64_C(0x6d61632d6b6579)) & 0xffffff;
    uint64_t name_off = gen_mix64(seed ^ UINT64_C(0x686f73746e616d65)) % NAME_SPACE;
    for (uint32_t i = 0; i < s->ndev; i++) {
        gen_device *dv = &s->devs[i];
        memset(dv, 0, sizeof *dv);
        dv->id = i;
        dv->site = (uint16_t)(i % (uint32_t)s->nsites);
        dv->rng = gen_mix64(seed * UINT64_C(0x9e3779b97f4a7c15) + i + 1);
        uint32_t r = gen_below(&dv->rng, 100);
        dv->type = r < 25 ? GEN_DESKTOP : r < 75 ? GEN_LAPTOP : r < 90 ? GEN_IPHONE : GEN_ANDROID;
        if (dv->type == GEN_DESKTOP || dv->type == GEN_LAPTOP)
            dv->flags |= GEN_DEV_WINDOWS;
        if (gen_chance(&dv->rng, behaviours[dv->type].p_v6))
            dv->flags |= GEN_DEV_V6;
        if (dv->type == GEN_DESKTOP && gen_chance(&dv->rng, 150000))
            dv->flags |= GEN_DEV_ALWAYS_ON;
        uint32_t top;
        if (dv->type == GEN_IPHONE)             /* private Wi-Fi address: locally administered */
            top = ((uint32_t)(gen_rand(&dv->rng) >> 40) & 0xfcffff) | 0x020000;
        else if (dv->type == GEN_ANDROID)
            top = android_ouis[gen_below(&dv->rng, sizeof android_ouis / sizeof *android_ouis)];
        else
            top = pc_ouis[gen_below(&dv->rng, sizeof pc_ouis / sizeof *pc_ouis)];
        uint32_t low = perm24(i, key24);
        dv->mac[0] = (uint8_t)(top >> 16); dv->mac[1] = (uint8_t)(top >> 8);
        dv->mac[2] = (uint8_t)top;
        dv->mac[3] = (uint8_t)(low >> 16); dv->mac[4] = (uint8_t)(low >> 8);
        dv->mac[5] = (uint8_t)low;
        dv->duid_time = 600000000u + gen_below(&dv->rng, 150000000u);
        dv->name_code = ((uint64_t)i * 1000000007u + name_off) % NAME_SPACE;
        /* a PC has its own owner; a phone belongs to someone already numbered */
        dv->user = (dv->flags & GEN_DEV_WINDOWS) ? i : gen_below(&dv->rng, i + 1);
        dv->held4 = dv->prev4 = -1;
        dv->t_step = dv->t_exp4 = dv->t_exp6 = GEN_NEVER;
        s->sites[dv->site].ndev++;
    }
}

/* Scopes per site: desktops and mobiles separately, SCOPE_DEVICES each, devices round-robin. */
static int build_scopes(gen_sim *s, ipl_diag *d)
{
    uint32_t (*count)[2] = calloc((size_t)s->nsites, sizeof *count);
    int (*first)[2] = calloc((size_t)s->nsites, sizeof *first);
    int (*nsc)[2] = calloc((size_t)s->nsites, sizeof *nsc);
    uint32_t *seen = NULL;
    int rc = IPL_OK;
    if (!count || !first || !nsc) {
        rc = ipl_diag_set(d, IPL_ENOMEM, "out of memory for scopes");
        goto out;
    }
    for (uint32_t i = 0; i < s->ndev; i++)
        count[s->devs[i].site][s->devs[i].type == GEN_DESKTOP ? 0 : 1]++;
    int total = 0;
    for (int i = 0; i < s->nsites; i++) {
        int here = 0;
        for (int c = 0; c < 2; c++) {
            nsc[i][c] = count[i][c] ? (int)((count[i][c] + SCOPE_DEVICES - 1) / SCOPE_DEVICES) : 0;
            first[i][c] = total + here;
            here += nsc[i][c];
        }
        if (here > SCOPE_MAX) {
            rc = ipl_diag_set(d, IPL_ELIMIT, "too many devices for site '%s'", s->sites[i].code);
            goto out;
        }
        total += here;
    }
    s->nscopes = total;
    s->scopes = calloc((size_t)(total ? total : 1), sizeof *s->scopes);
    seen = calloc((size_t)(total ? total : 1), sizeof *seen);
    if (!s->scopes || !seen) {
        rc = ipl_diag_set(d, IPL_ENOMEM, "out of memory for scopes");
        goto out;
    }
    /* devices to scopes: the k-th device of a class goes to scope k mod n (count is reused as
     * the running k) */
    memset(count, 0, sizeof *count * (size_t)s->nsites);
    for (uint32_t i = 0; i < s->ndev; i++) {
        gen_device *dv = &s->devs[i];
        int c = dv->type == GEN_DESKTOP ? 0 : 1;
        uint32_t k = count[dv->site][c]++;
        dv->scope = (uint16_t)(first[dv->site][c] + (int)(k % (uint32_t)nsc[dv->site][c]));
        seen[dv->scope]++;
    }
    uint32_t base = 0;
    for (int i = 0; i < s->nsites; i++) {
        for (int c = 0; c < 2; c++) {
            for (int k = 0; k < nsc[i][c]; k++) {
                int j = first[i][c] + k;
                gen_scope *sc = &s->scopes[j];
                int local = j - first[i][0];       /* the site's scopes start at first[i][0] */
                double factor = c == 0 ? 1.15 : (k == nsc[i][c] - 1 ? 0.88 : 1.2);
                uint32_t size = (uint32_t)((double)seen[j] * factor) + 2;
                if (size < 4)
                    size = 4;
                if (size > POOL_MAX)
                    size = POOL_MAX;
                sc->site = i;
                sc->net = (10u << 24) | ((uint32_t)(i + 1) << 16) | ((uint32_t)(4 * local) << 8);
                sc->first = POOL_FIRST;
                sc->size = size;
                sc->base = base;
                sc->lease_s = c == 0 ? LEASE_DESKTOP : LEASE_MOBILE;
                base += size;
            }
        }
    }
    s->naddr = base;
out:
    free(count);
    free(first);
    free(nsc);
    free(seen);
    return rc;
}

static int build_pools(gen_sim *s, ipl_diag *d)
{
    s->addr = calloc(s->naddr ? s->naddr : 1, sizeof *s->addr);
    s->ring = calloc(s->naddr ? s->naddr : 1, sizeof *s->ring);
    s->rhead = calloc((size_t)(s->nscopes ? s->nscopes : 1), sizeof *s->rhead);
    s->rcount = calloc((size_t)(s->nscopes ? s->nscopes : 1), sizeof *s->rcount);
    if (!s->addr || !s->ring || !s->rhead || !s->rcount)
        return ipl_diag_set(d, IPL_ENOMEM, "out of memory for address pools");
    for (uint32_t i = 0; i < s->naddr; i++) {
        s->addr[i].holder = -1;
        s->addr[i].free_at = FREE_FOREVER;
    }
    for (int k = 0; k < s->nscopes; k++)
        for (uint32_t j = 0; j < s->scopes[k].size; j++)
            pool_push(s, &s->scopes[k], s->scopes[k].base + j);
    return IPL_OK;
}

/* --mix all: each device's session stream and channels. */
static int build_sessions(gen_sim *s, ipl_diag *d)
{
    if (s->opt.mix != GEN_MIX_ALL)
        return IPL_OK;
    s->sess = calloc(s->ndev ? s->ndev : 1, sizeof *s->sess);
    if (!s->sess)
        return ipl_diag_set(d, IPL_ENOMEM, "out of memory for %u devices' sessions", s->ndev);
    uint64_t seed = gen_mix64(s->opt.seed ^ UINT64_C(0x73657373696f6e73));
    for (uint32_t i = 0; i < s->ndev; i++) {
        struct sess *ss = &s->sess[i];
        const gen_device *dv = &s->devs[i];
        ss->rng = gen_mix64(seed + (uint64_t)i * UINT64_C(0x9e3779b97f4a7c15));
        for (int c = 0; c < NCH; c++)
            ss->t[c] = GEN_NEVER;
        if (dv->flags & GEN_DEV_WINDOWS) {
            ss->caps |= 1u << CH_DC;
            if (dv->type == GEN_LAPTOP && gen_chance(&ss->rng, 500000))
                ss->caps |= 1u << CH_WIFI;
            if (gen_chance(&ss->rng, 60000))
                ss->caps |= 1u << CH_ADMIN;
        } else {
            ss->caps |= 1u << CH_WIFI;
        }
    }
    return IPL_OK;
}

/* --mix all, Windows DHCP sites: a scope option change and a reservation each week, the
 * reservation deleted a few days later, by admins, on working hours (own random stream). */
static int build_config(gen_sim *s, int i, ipl_diag *d)
{
    gen_site *site = &s->sites[i];
    struct site_actor *sa = &s->sa[i];
    sa->t_cfg = GEN_NEVER;
    if (s->opt.mix != GEN_MIX_ALL || site->vendor != GEN_V_MSWIN || site->ndev == 0)
        return IPL_OK;
    int weeks = (site->days + 6) / 7, n = 0;
    sa->cfg_t = malloc(sizeof *sa->cfg_t * (size_t)(3 * weeks));
    sa->cfg_kind = malloc((size_t)(3 * weeks));
    sa->cfg_obj = malloc(sizeof *sa->cfg_obj * (size_t)(3 * weeks));
    sa->cfg_user = malloc(sizeof *sa->cfg_user * (size_t)(3 * weeks));
    if (!sa->cfg_t || !sa->cfg_kind || !sa->cfg_obj || !sa->cfg_user)
        return ipl_diag_set(d, IPL_ENOMEM, "out of memory for the simulation");
    uint64_t rng = gen_mix64(s->opt.seed ^ ((uint64_t)(i + 1) * UINT64_C(0x636f6e666967)));
    uint32_t admin = (uint32_t)i + (uint32_t)s->nsites * gen_below(&rng, (site->ndev + 3) / 4);
    uint32_t nsc = 0;
    for (int k = 0; k < s->nscopes; k++)
        nsc += s->scopes[k].site == i;
    int first = 0;
    while (first < s->nscopes && s->scopes[first].site != i)
        first++;
    for (int w = 0; w < weeks; w++) {
        int day = w * 7 + (int)gen_below(&rng, 4);
        const gen_scope *sc = &s->scopes[first + (int)gen_below(&rng, nsc)];
        uint32_t res = sc->net + 1 + gen_below(&rng, POOL_FIRST - 1);   /* a static address */
        int32_t opt_s = 9 * 3600 + (int32_t)gen_below(&rng, 3 * 3600);
        int32_t res_s = 13 * 3600 + (int32_t)gen_below(&rng, 3 * 3600);
        int del_day = day + 1 + (int)gen_below(&rng, 3);
        int32_t del_s = 16 * 3600 + (int32_t)gen_below(&rng, 3600);
        if (day >= site->days)
            break;
        int64_t opt_t = local_to_utc(site, day, opt_s), res_t = local_to_utc(site, day, res_s);
        int64_t del_t = del_day < site->days ? local_to_utc(site, del_day, del_s) : GEN_NEVER;
        sa->cfg_t[n] = opt_t, sa->cfg_kind[n] = GEN_CFG_OPTION, sa->cfg_obj[n] = sc->net;
        sa->cfg_user[n++] = admin;
        sa->cfg_t[n] = res_t, sa->cfg_kind[n] = GEN_CFG_RES_ADD, sa->cfg_obj[n] = res;
        sa->cfg_user[n++] = admin;
        if (del_day < site->days) {
            sa->cfg_t[n] = del_t, sa->cfg_kind[n] = GEN_CFG_RES_DEL, sa->cfg_obj[n] = res;
            sa->cfg_user[n++] = admin;
        }
    }
    /* in time order (the deletion of one week may follow the next week's changes) */
    for (int a = 1; a < n; a++)
        for (int b = a; b > 0 && sa->cfg_t[b - 1] > sa->cfg_t[b]; b--) {
            int64_t tt = sa->cfg_t[b]; sa->cfg_t[b] = sa->cfg_t[b - 1]; sa->cfg_t[b - 1] = tt;
            uint8_t tk = sa->cfg_kind[b]; sa->cfg_kind[b] = sa->cfg_kind[b - 1]; sa->cfg_kind[b - 1] = tk;
            uint32_t to = sa->cfg_obj[b]; sa->cfg_obj[b] = sa->cfg_obj[b - 1]; sa->cfg_obj[b - 1] = to;
            uint32_t tu = sa->cfg_user[b]; sa->cfg_user[b] = sa->cfg_user[b - 1]; sa->cfg_user[b - 1] = tu;
        }
    sa->ncfg = n;
    sa->t_cfg = n ? sa->cfg_t[0] : GEN_NEVER;
    return IPL_OK;
}

static int build_actors(gen_sim *s, ipl_diag *d)
{
    uint32_t nact = (uint32_t)s->nsites + s->ndev;
    s->sa = calloc((size_t)s->nsites, sizeof *s->sa);
    s->heap = malloc(sizeof *s->heap * nact);
    s->key = malloc(sizeof *s->key * nact);
    if (!s->sa || !s->heap || !s->key)
        return ipl_diag_set(d, IPL_ENOMEM, "out of memory for the simulation");
    for (int i = 0; i < s->nsites; i++) {
        gen_site *site = &s->sites[i];
        struct site_actor *sa = &s->sa[i];
        sa->rng = gen_mix64(s->opt.seed ^ ((uint64_t)(i + 1) * UINT64_C(0xa0761d6478bd642f)));
        int weeks = (site->days + 6) / 7;
        sa->out_a = malloc(sizeof *sa->out_a * (size_t)weeks);
        sa->out_b = malloc(sizeof *sa->out_b * (size_t)weeks);
        if (!sa->out_a || !sa->out_b)
            return ipl_diag_set(d, IPL_ENOMEM, "out of memory for the simulation");
        for (int w = 0; w < weeks; w++) {
            int day = w * 7 + (int)gen_below(&sa->rng, 7);
            int32_t secs = 11 * 3600 + (int32_t)gen_below(&sa->rng, 3 * 3600);
            int32_t down = 30 + (int32_t)gen_below(&sa->rng, 91);
            if (day >= site->days)
                continue;
            int64_t a = local_to_utc(site, day, secs);
            sa->out_a[sa->nout] = a;
            sa->out_b[sa->nout] = a + down;
            sa->nout++;
        }
        sa->clean_off = (int)gen_below(&sa->rng, 3600);
        sa->t_day = site->start;
        sa->t_clean = site->start - ((site->start % 3600) + 3600) % 3600 + sa->clean_off;
        if (sa->t_clean <= site->start)
            sa->t_clean += 3600;
        sa->t_stop = sa->nout ? sa->out_a[0] : GEN_NEVER;
        sa->t_start = GEN_NEVER;
        int rc = build_config(s, i, d);
        if (rc)
            return rc;
        s->key[i] = site_next(sa);
        heap_push(s, (uint32_t)i);
    }
    for (uint32_t i = 0; i < s->ndev; i++) {
        gen_device *dv = &s->devs[i];
        const gen_site *site = &s->sites[dv->site];
        if (dv->flags & GEN_DEV_ALWAYS_ON) {
            dv->off_at = GEN_NEVER;
            at(dv, ST_ON, local_to_utc(site, 0, 7 * 3600 + (int32_t)gen_below(&dv->rng, 10800)));
        } else {
            plan(s, dv, site->start - 1);
        }
        uint32_t id = (uint32_t)s->nsites + i;
        s->key[id] = dv->t_step;
        if (dv->t_step < site->end)
            heap_push(s, id);
    }
    return IPL_OK;
}

int gen_sim_new(gen_sim **out, const gen_opts *opt, ipl_diag *d)
{
    *out = NULL;
    gen_sim *s = calloc(1, sizeof *s);
    if (!s)
        return ipl_diag_set(d, IPL_ENOMEM, "out of memory");
    s->opt = *opt;
    s->nsites = opt->sites;
    s->ndev = opt->devices;
    s->ctx.opt = &s->opt;
    s->ctx.out = opt->out;
    s->ctx.start_days = ipl_days_from_civil(opt->year, opt->mon, opt->mday);
    s->ctx.days = opt->days;
    s->ctx.salt = gen_mix64(opt->seed ^ UINT64_C(0x76362d73616c74));
    s->ctx.mix = opt->mix;
    s->sites = calloc((size_t)s->nsites, sizeof *s->sites);
    s->devs = calloc(s->ndev ? s->ndev : 1, sizeof *s->devs);
    int rc;
    if (!s->sites || !s->devs) {
        rc = ipl_diag_set(d, IPL_ENOMEM, "out of memory for %u devices", s->ndev);
        goto out;
    }
    if ((rc = build_sites(s, d)) != IPL_OK)
        goto out;
    build_devices(s);
    if ((rc = build_scopes(s, d)) != IPL_OK || (rc = build_pools(s, d)) != IPL_OK
        || (rc = build_sessions(s, d)) != IPL_OK || (rc = build_actors(s, d)) != IPL_OK)
        goto out;
    s->ctx.sites = s->sites;
    s->ctx.nsites = s->nsites;
    s->ctx.scopes = s->scopes;
    s->ctx.nscopes = s->nscopes;
    s->ctx.devs = s->devs;
    s->ctx.ndev = s->ndev;
    *out = s;
    s = NULL;
out:
    gen_sim_free(s);
    return rc;
}

void gen_sim_free(gen_sim *s)
{
    if (!s)
        return;
    for (int i = 0; s->sites && i < s->nsites; i++) {
        ipl_tz_free(s->sites[i].tz);
        free(s->sites[i].day_start);
        free(s->sites[i].day_off);
    }
    for (int i = 0; s->sa && i < s->nsites; i++) {
        free(s->sa[i].out_a);
        free(s->sa[i].out_b);
        free(s->sa[i].cfg_t);
        free(s->sa[i].cfg_kind);
        free(s->sa[i].cfg_obj);
        free(s->sa[i].cfg_user);
    }
    free(s->sess);
    free(s->sites);
    free(s->devs);
    free(s->scopes);
    free(s->addr);
    free(s->ring);
    free(s->rhead);
    free(s->rcount);
    free(s->sa);
    free(s->heap);
    free(s->key);
    free(s);
}

const gen_ctx *gen_sim_ctx(const gen_sim *s)
{
    return &s->ctx;
}

/* Log rows per device on each weekday (0 = Sunday), without the servers' own rows, measured on
 * long runs with the behaviour table above (re-measure when it changes; see README.md). */
static const double rows_per_device[7] = { 0.66, 5.57, 5.70, 5.70, 5.70, 5.70, 1.07 };
#define SERVER_ROWS_PER_DAY 72.0    /* hourly 24+25 and 11030 */

/* --mix all: rows per device relative to the table above, by the vendor of its site: its DHCP
 * server's rows (ISC logs four lines an assignment and writes dhcpd.leases too; Kea and dnsmasq
 * two files) plus the logons, RADIUS and sshd rows of its owner (0.79, the same at every site).
 * Measured on --days 28 --devices 20000 --sites 4 (one site per vendor). Fixed rows per server and
 * day by site index % 4: the Windows DHCP cleanup (72) and the Linux server's hourly cron lines
 * (48 in auth.log, 120 in a mixed syslog file). */
static const double mix_factor[GEN_VENDORS] = { 1.79, 3.23, 2.13, 2.13 };
static const double mix_server_rows[GEN_VENDORS] = { 120.0, 120.0, 48.0, 120.0 };

double gen_sim_expect(int mix, int64_t start_days, int days, uint32_t devices, int sites,
                      int mix_sites)
{
    double rows = 0;
    if (mix == GEN_MIX_MSWIN) {
        for (int d = 0; d < days; d++)
            rows += devices * rows_per_device[ipl_weekday(start_days + d)]
                    + sites * SERVER_ROWS_PER_DAY;
        return rows;
    }
    /* devices spread evenly over the sites' vendors */
    double share[GEN_VENDORS] = { 0 }, fixed = 0;
    int n = mix_sites > 0 ? mix_sites : 1;
    for (int i = 0; i < n; i++)
        share[i % GEN_VENDORS] += 1.0 / n;
    for (int i = 0; i < sites; i++)
        fixed += mix_server_rows[i % GEN_VENDORS];
    for (int d = 0; d < days; d++) {
        int wd = ipl_weekday(start_days + d);
        for (int v = 0; v < GEN_VENDORS; v++)
            rows += devices * share[v] * mix_factor[v] * rows_per_device[wd];
        rows += fixed;
    }
    return rows;
}

int gen_sim_run(gen_sim *s, const gen_sink *sinks, int nsinks, ipl_diag *d)
{
    s->sinks = sinks;
    s->nsinks = nsinks;
    s->d = d;
    while (s->nheap > 0 && !s->err) {
        uint32_t id = s->heap[0];
        int64_t T = s->key[id];
        int64_t next = id < (uint32_t)s->nsites
                       ? site_run(s, (int)id, T)
                       : device_run(s, &s->devs[id - (uint32_t)s->nsites], T);
        if (next == GEN_NEVER) {
            s->heap[0] = s->heap[--s->nheap];
            if (s->nheap)
                heap_down(s, 0);
        } else {
            s->key[id] = next;
            heap_down(s, 0);
        }
    }
    /* leases still held when the period ends: open intervals (truth only) */
    for (uint32_t i = 0; i < s->ndev && !s->err; i++) {
        gen_device *dv = &s->devs[i];
        const gen_site *site = &s->sites[dv->site];
        if (dv->held4 >= 0)
            emit_dev(s, dv, GEN_H_OPEN, 4, site->end, addr_ip(s, dv, dv->held4), 0, dv->since4);
        if (dv->held6)
            emit_dev(s, dv, GEN_H_OPEN, 6, site->end, dev_ip6(s, dv), 0, dv->since6);
    }
    return s->err;
}
