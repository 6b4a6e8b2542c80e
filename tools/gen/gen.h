/* tools/gen/gen.h — internals shared by the files of ipledger-gen, the synthetic enterprise
 * generator.
 *
 * Data flow (one process, one thread, everything streamed):
 *
 *   main.c   options, output directory, summary line
 *     |
 *   sim.c    the enterprise (sites, scopes, devices) and a discrete-event simulation on a UTC
 *     |      clock in whole seconds; it produces abstract happenings (gen_happening) in global time
 *     |      order (time, then actor id), so every consumer sees each site's history in order
 *     v
 *   writers  a table of gen_writer_ops (main.c): truth.c (truth.tsv, sessions.tsv, probes.tsv) and
 *            one file per output format, out_<format>.c (out_mswin_dhcp.c: Windows DHCP audit logs,
 *            out_isc_dhcpd.c, out_kea_csv.c, out_winsec.c, ...). Each site has one DHCP vendor
 *            (gen_site.vendor); a writer skips the happenings of sites and kinds it does not log.
 *            A new format is a new out_<format>.c plus one row in the table; it must not touch the
 *            simulation's random streams (xids and all other randomness arrive in the happening).
 *
 * --mix mswin: every site is a Windows DHCP site and there are no logons, sessions or config
 * events: the output is byte for byte what the generator wrote before the other formats existed.
 * --mix all (default): DHCP vendors rotate over the sites and users log on (sim.c, sessions).
 *
 * Memory is bounded by the number of devices and addresses, never by the number of events: the
 * simulation keeps one heap entry per actor (site or device) and writers stream to buffered files.
 * Output is byte-identical for identical arguments: every random draw comes from splitmix64 streams
 * derived from --seed (one per device, one per site), and ties in time are broken by actor id.
 *
 * Ownership: the sim owns sites, scopes and devices; writers borrow them through gen_ctx for the
 * whole run (identity fields only: the simulation-state fields are sim.c's).
 */
#ifndef IPL_GEN_H
#define IPL_GEN_H

#include <stddef.h>
#include <stdint.h>

#include "engine/diag.h"
#include "engine/tz.h"

#define GEN_DOMAIN      "corp.example.com"
#define GEN_NT_DOMAIN   "CONTOSO"
#define GEN_MAX_SITES   64          /* second octet of 10.<site>.x.x; <= 10 files open per site */
#define GEN_MAX_DEVICES 5000000u
#define GEN_SITE_DEVICES 50000u     /* per site: 64 /22 scopes in 10.<site>.0.0/16 */
#define GEN_MAX_DAYS    3660
#define GEN_NEVER       INT64_MAX   /* "no such time": timer off, interval still open */
#define GEN_REUSE_GAP   10          /* seconds between an address's end and its next assign */
#define GEN_PATH_MAX    1024
#define GEN_ROW_MAX     4096        /* longest row any writer formats (bounded fields) */

/* ---------------------------------------------------------------- random numbers (splitmix64) */

static inline uint64_t gen_mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}
static inline uint64_t gen_rand(uint64_t *s)
{
    *s += UINT64_C(0x9e3779b97f4a7c15);
    return gen_mix64(*s);
}
/* Uniform in [0, n) (multiply-shift; the bias for n < 2^32 is below 2^-32). n may be 0 -> 0. */
static inline uint32_t gen_below(uint64_t *s, uint32_t n)
{
    return (uint32_t)(((gen_rand(s) >> 32) * (uint64_t)n) >> 32);
}
/* 1 with probability ppm / 1e6. */
static inline int gen_chance(uint64_t *s, uint32_t ppm)
{
    return gen_below(s, 1000000u) < ppm;
}

/* ---------------------------------------------------------------- addresses */

/* An address as the engine's 16-byte form split in two big-endian halves, so (hi, lo) order is
 * the engine's order (v4-mapped sorts before 2001:db8::/32). */
typedef struct gen_ip {
    uint64_t hi, lo;
} gen_ip;

static inline gen_ip gen_ip4(uint32_t v4)
{
    gen_ip ip = { 0, UINT64_C(0x0000ffff00000000) | v4 };
    return ip;
}
static inline int gen_ip_is4(gen_ip ip)
{
    return ip.hi == 0 && (ip.lo >> 32) == 0xffff;
}
static inline int gen_ip_cmp(gen_ip a, gen_ip b)
{
    if (a.hi != b.hi)
        return a.hi < b.hi ? -1 : 1;
    if (a.lo != b.lo)
        return a.lo < b.lo ? -1 : 1;
    return 0;
}
/* The /64 of a site: 2001:db8:<site number>::/64 (site number = index + 1, as the v4 octet). */
static inline uint64_t gen_site_v6_hi(int site_index)
{
    return (UINT64_C(0x20010db8) << 32) | ((uint64_t)(site_index + 1) << 16);
}
void gen_ip_bytes(gen_ip ip, uint8_t out[16]);

/* ---------------------------------------------------------------- the enterprise */

enum gen_devtype { GEN_DESKTOP, GEN_LAPTOP, GEN_IPHONE, GEN_ANDROID, GEN_DEVTYPES };

/* Output mix (--mix). */
enum gen_mix { GEN_MIX_ALL, GEN_MIX_MSWIN };

/* The DHCP server product of a site; in --mix all, site k runs vendor k % GEN_VENDORS. */
enum gen_vendor { GEN_V_MSWIN, GEN_V_ISC, GEN_V_KEA, GEN_V_DNSMASQ, GEN_VENDORS };

enum {
    GEN_DEV_V6        = 1 << 0,     /* dual stack: also leases from the site's DHCPv6 server */
    GEN_DEV_ALWAYS_ON = 1 << 1,     /* a desktop that is never switched off */
    GEN_DEV_WINDOWS   = 1 << 2      /* sends vendor class "MSFT 5.0" */
};

typedef struct gen_site {
    int       index;                /* 0-based; v4 10.<index+1>.x.x, v6 2001:db8:<index+1>::/64 */
    char      code[8];              /* "fra" */
    char      server[64];           /* "dhcp-fra-01.corp.example.com" */
    char      tzname[40];           /* "Europe/Berlin" */
    ipl_tz   *tz;                   /* owned by the sim */
    int64_t  *day_start;            /* [days + 1]: UTC seconds of each local midnight */
    int32_t  *day_off;              /* [days]: the day's UTC offset, or GEN_OFF_VARIES */
    int64_t   start, end;           /* day_start[0], day_start[days]: the simulated period */
    int64_t   start_days;           /* days since 1970-01-01 of day 0 (--start) */
    int       days;
    int       clock_day;            /* gen_site_local's cache */
    uint32_t  ndev;                 /* devices of this site */
    /* --mix all: the site's other servers (names without the domain are their syslog hosts) */
    int       vendor;               /* enum gen_vendor of its DHCP server */
    int       dc_json;              /* its DC's Security log is Winlogbeat JSON (else event XML) */
    int       lnx_mixed;            /* its Linux server's sshd lines are in a mixed syslog file */
    char      dc[64];               /* "dc-fra-01.corp.example.com": domain controller */
    char      rds[64];              /* "rds-fra-01.corp.example.com": admins' RDP target */
    char      lnx[64];              /* "lnx-fra-01.corp.example.com": admins' SSH target */
    char      radius[64];           /* "nps-fra-01..." (Windows sites) or "radius-fra-01..." */
    uint32_t  nas_ip;               /* the Wi-Fi controller (RADIUS client), 10.<k>.0.4 */
    uint32_t  srv_ip;               /* the DHCP server's own address, 10.<k>.0.2 */
} gen_site;
#define GEN_OFF_VARIES INT32_MIN    /* the day holds a DST change: ask the zone */

typedef struct gen_scope {
    uint32_t net;                   /* host-order network address, a /22 */
    uint32_t first, size;           /* pool = net + first .. net + first + size - 1 */
    uint32_t base;                  /* index of the pool's first address in the sim's table */
    int32_t  lease_s;               /* lease time, seconds */
    int      site;
} gen_scope;

typedef struct gen_device {
    /* identity (read by writers) */
    uint32_t id;
    uint16_t site;
    uint16_t scope;                 /* index of its v4 scope */
    uint8_t  type;                  /* enum gen_devtype */
    uint8_t  flags;                 /* GEN_DEV_* */
    uint8_t  mac[6];
    uint32_t duid_time;             /* DUID-LLT time field (seconds since 2000-01-01) */
    uint32_t user;                  /* owner (gen_user_name) */
    uint64_t name_code;             /* hostname suffix, < 36^7 */
    /* simulation state (sim.c only) */
    uint64_t rng;
    int64_t  t_step, t_exp4, t_exp6;
    int64_t  since4, since6, last4, last6, off_at;
    int32_t  held4, prev4;          /* address-table index, -1 when none */
    uint32_t gen6;                  /* v6 address generation */
    uint8_t  held6, step, tries, clean;
} gen_device;

/* "LAPTOP-7Q2K1AB.corp.example.com"; returns the length (< 48), buf >= 48. */
size_t gen_device_host(const gen_device *dev, char *buf);
/* The v6 interface id of a device's address generation (unique: a bijection of (id, gen)). */
uint64_t gen_device_iid(uint64_t salt, uint32_t id, uint32_t gen);
/* The DUID-LLT of a device: 14 bytes. */
void gen_device_duid(const gen_device *dev, uint8_t out[14]);
/* "CONTOSO\anna.schmidt" as the domain logs it; returns the length, buf >= 64. */
size_t gen_user_name(uint32_t user, char *buf, size_t n);
/* "anna.schmidt": the login name (sshd, the user part of the domain name); buf >= 64. */
size_t gen_user_login(uint32_t user, char *buf, size_t n);
/* The user as a session's log names it (truth and writers agree through this): via DC, RDP
 * and NPS Wi-Fi "CONTOSO\anna.schmidt", FreeRADIUS Wi-Fi "anna.schmidt@corp.example.com",
 * SSH "anna.schmidt". buf >= 96. */
size_t gen_session_user(const struct gen_site *site, int via, uint32_t user, char *buf, size_t n);
/* The short host name (NetBIOS / DHCP option 12): "LAPTOP-7Q2K1AB"; buf >= 48. */
size_t gen_device_short(const gen_device *dev, char *buf);

/* ---------------------------------------------------------------- happenings */

enum gen_kind {
    GEN_H_DAY,          /* local midnight of a site: day `day` begins (new daily files) */
    GEN_H_START,        /* DHCP service (re)started */
    GEN_H_STOP,         /* DHCP service stopped */
    GEN_H_CLEANUP,      /* hourly database cleanup; count = v4 leases expired since the last one */
    GEN_H_ASSIGN,       /* lease begins (ip, dev, xid) */
    GEN_H_RENEW,        /* lease continues */
    GEN_H_RELEASE,      /* lease ends: the client released it (since = start of the lease) */
    GEN_H_EXPIRE,       /* lease ends: expired at exactly t (since = start of the lease) */
    GEN_H_DNS_REQ,      /* DNS update request for the holder of ip */
    GEN_H_DNS_OK,       /* DNS update successful */
    GEN_H_NACK,         /* request for ip refused; ip is the requested address, not a lease */
    GEN_H_CONFLICT,     /* ip answered a ping: in use by an unknown device; no holder change */
    GEN_H_FULL,         /* scope pool exhausted; ip = the scope's network address */
    GEN_H_OPEN,         /* end of the simulated period, the lease is still held (truth only) */
    /* --mix all only */
    GEN_H_LOGON,        /* a user session begins (via, user, ip, ip6, sid, port, ltype) */
    GEN_H_LOGOFF,       /* it ends (since = its logon) */
    GEN_H_CONFIG        /* a DHCP configuration change by an admin (cfg, user, ip, sid) */
};

/* How a session is seen. */
enum gen_via {
    GEN_VIA_DC,         /* Windows domain logon: the DC logs 4768, 4624 type 3, 4634 */
    GEN_VIA_RDP,        /* an admin's RDP session to a member server: 4624 type 10, 4647, 4634 */
    GEN_VIA_WIFI,       /* 802.1X Wi-Fi: RADIUS accounting Start/Stop (NPS or FreeRADIUS) */
    GEN_VIA_SSH,        /* an admin's SSH session to the site's Linux server */
    GEN_VIAS
};

/* DHCP configuration changes (Windows DHCP Operational channel IDs). */
enum gen_cfg { GEN_CFG_OPTION = 76, GEN_CFG_RES_ADD = 106, GEN_CFG_RES_DEL = 107 };

typedef struct gen_happening {
    int64_t  t;                     /* UTC seconds */
    int64_t  since;                 /* RELEASE, EXPIRE, OPEN: when the lease began */
    int      kind;                  /* enum gen_kind */
    int      family;                /* 4 or 6 for lease happenings, 0 for site ones */
    int      day;                   /* GEN_H_DAY: day index (0 = --start) */
    gen_site *site;
    const gen_device *dev;          /* NULL for site happenings */
    gen_ip   ip;
    uint32_t xid;                   /* DHCP transaction id, 0 for synthetic events */
    uint32_t count;                 /* GEN_H_CLEANUP */
    /* LOGON, LOGOFF, CONFIG (--mix all) */
    gen_ip   ip6;                   /* Wi-Fi session of a dual-stack device: its v6 address, else 0 */
    uint64_t sid;                   /* session id (logon id, Acct-Session-Id, sshd pid); CONFIG:
                                       the object number */
    uint32_t user;                  /* gen_user_name number (CONFIG: the acting admin) */
    uint16_t port;                  /* client port */
    uint8_t  via;                   /* enum gen_via */
    uint8_t  cfg;                   /* enum gen_cfg */
} gen_happening;

/* ---------------------------------------------------------------- options and context */

typedef struct gen_opts {
    const char *out;
    uint64_t    seed;
    int         year, mon, mday;    /* --start */
    int         days;
    uint32_t    devices;
    int         sites;
    uint64_t    events;             /* 0 = not given */
    int         mix;                /* enum gen_mix */
    uint32_t    internet;           /* --internet: failed SSH logons from Internet addresses per
                                       Linux server and hour (0 = none: the output is unchanged) */
} gen_opts;

typedef struct gen_ctx {
    const gen_opts   *opt;
    const char       *out;          /* output directory, no trailing '/' */
    int64_t           start_days;   /* days since 1970-01-01 of --start */
    int               days;
    gen_site         *sites;
    int               nsites;
    const gen_scope  *scopes;
    int               nscopes;
    const gen_device *devs;
    uint32_t          ndev;
    uint64_t          salt;         /* seed-derived, for gen_device_iid */
    int               mix;          /* enum gen_mix */
} gen_ctx;

/* Counters a writer reports at the end. */
typedef struct gen_counts {
    uint64_t files, rows, bytes, intervals, probes;
} gen_counts;

typedef struct gen_file gen_file;

typedef struct gen_writer_ops {
    const char *name;               /* "mswin-dhcp": the folder under DIR and the --format name */
    /* open: allocate the writer's state (returns owned, free with free). */
    int  (*open)(const gen_ctx *ctx, void **state, ipl_diag *d);
    /* emit: one happening, in global time order; must be fast. */
    int  (*emit)(void *state, const gen_happening *h, ipl_diag *d);
    /* finish: flush and close its files, append its lines to sources.tsv (may be NULL), count. */
    int  (*finish)(void *state, gen_file *sources, gen_counts *c, ipl_diag *d);
    void (*free)(void *state);      /* NULL-safe */
} gen_writer_ops;

extern const gen_writer_ops gen_out_truth;          /* truth.c */
extern const gen_writer_ops gen_out_mswin_dhcp;     /* out_mswin_dhcp.c */
extern const gen_writer_ops gen_out_isc_dhcpd;      /* out_isc_dhcpd.c: isc-dhcpd */
extern const gen_writer_ops gen_out_isc_leases;     /* out_isc_leases.c: isc-leases */
extern const gen_writer_ops gen_out_kea_log;        /* out_kea_log.c: kea-log */
extern const gen_writer_ops gen_out_kea_csv;        /* out_kea_csv.c: kea-csv */
extern const gen_writer_ops gen_out_dnsmasq;        /* out_dnsmasq.c: dnsmasq */
extern const gen_writer_ops gen_out_dnsmasq_leases; /* out_dnsmasq_leases.c: dnsmasq-leases */
extern const gen_writer_ops gen_out_winsec;         /* out_winsec.c: winsec-xml, winsec-json */
extern const gen_writer_ops gen_out_nps;            /* out_nps.c: nps-ias */
extern const gen_writer_ops gen_out_freeradius;     /* out_freeradius.c: freeradius-detail */
extern const gen_writer_ops gen_out_sshd;           /* out_sshd.c: sshd, syslog */
extern const gen_writer_ops gen_out_mswin_events;   /* out_mswin_events.c: mswin-dhcp-events */

/* Lease times, as the simulation grants them (writers that log lease lengths or ends). */
static inline int32_t gen_lease4(const gen_ctx *ctx, const gen_device *dev)
{
    return ctx->scopes[dev->scope].lease_s;
}
static inline int32_t gen_lease6(const gen_device *dev)
{
    return dev->type == GEN_DESKTOP ? 86400 : 28800;
}
/* The first label of a host name ("dhcp-fra-01" of "dhcp-fra-01.corp.example.com"). */
static inline size_t gen_label(const char *fqdn)
{
    size_t n = 0;
    while (fqdn[n] && fqdn[n] != '.')
        n++;
    return n;
}
/* A stable IAID for a device's IA_NA. */
static inline uint32_t gen_iaid(const gen_device *dev)
{
    return (uint32_t)gen_mix64(((uint64_t)dev->id << 8) ^ UINT64_C(0x69616964)) | 1u;
}

/* The format that logs a session of `via` at `site` ("winsec-xml", "nps-ias", "sshd", ...). */
const char *gen_via_format(const struct gen_site *site, int via);

/* ---------------------------------------------------------------- the simulation (sim.c) */

typedef struct gen_sim gen_sim;
typedef struct gen_sink {
    const gen_writer_ops *ops;
    void *state;
} gen_sink;

/* Builds the enterprise (loads each site's zone). Returns owned, free with gen_sim_free. */
int  gen_sim_new(gen_sim **out, const gen_opts *opt, ipl_diag *d);
void gen_sim_free(gen_sim *sim);
const gen_ctx *gen_sim_ctx(const gen_sim *sim);
/* Runs the whole period, feeding every happening to each sink in order (borrows sinks). */
int  gen_sim_run(gen_sim *sim, const gen_sink *sinks, int nsinks, ipl_diag *d);
/* Log rows the simulation is expected to write (used to scale --events; within a few %): for
 * `devices` devices and the fixed rows of `sites` servers; with --mix all the rates depend on the
 * vendors of the `mix_sites` sites of the run. */
double gen_sim_expect(int mix, int64_t start_days, int days, uint32_t devices, int sites,
                      int mix_sites);

/* Local civil time of a site, for writers. */
typedef struct gen_local {
    int day;                        /* day index, -1 / days outside the period */
    int y, m, d;                    /* local date */
    int hh, mm, ss;
} gen_local;
void gen_site_local(gen_site *site, int64_t t, gen_local *out);
/* 1 if the local time of t falls in a fall-back overlap (the log's local time is ambiguous). */
int  gen_site_ambiguous(const gen_site *site, int64_t t);

/* ---------------------------------------------------------------- output files (io.c) */

/* A write-only file with a large buffer; writers format straight into buf (see gen_file_room). */
struct gen_file {
    int      fd;
    char    *buf;
    size_t   len, cap;
    uint64_t bytes;                 /* written so far, including what is buffered */
    char     path[GEN_PATH_MAX];
};
#define GEN_FILE_INIT { -1, NULL, 0, 0, 0, { 0 } }

int  gen_file_open(gen_file *f, const char *path, size_t cap, ipl_diag *d);
int  gen_file_flush(gen_file *f, ipl_diag *d);
/* Flushes and closes; NULL-safe and idempotent; frees the buffer. */
int  gen_file_close(gen_file *f, ipl_diag *d);
int  gen_file_write(gen_file *f, const void *p, size_t n, ipl_diag *d);
/* Makes sure GEN_ROW_MAX bytes fit at buf + len. */
static inline int gen_file_room(gen_file *f, ipl_diag *d)
{
    return f->cap - f->len >= GEN_ROW_MAX ? 0 : gen_file_flush(f, d);
}
/* mkdir -p; IPL_EIO with the path on failure. */
int  gen_mkdirs(const char *path, ipl_diag *d);
/* Joins with snprintf into a bounded buffer; IPL_ELIMIT when it does not fit. */
int  gen_path(char *buf, size_t n, ipl_diag *d, const char *fmt, ...) IPL_PRINTF(4, 5);

/* Hand formatting for the hot paths: each writes at p and returns the new end. */
static inline char *gen_put(char *p, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        p[i] = s[i];
    return p + n;
}
#define GEN_PUTS(p, lit) gen_put((p), (lit), sizeof(lit) - 1)
static inline char *gen_put2(char *p, int v)
{
    p[0] = (char)('0' + v / 10);
    p[1] = (char)('0' + v % 10);
    return p + 2;
}
char *gen_put_u64(char *p, uint64_t v);
char *gen_put_ip4(char *p, uint32_t v4);
char *gen_put_ip(char *p, gen_ip ip);                       /* dotted quad or RFC 5952 */
char *gen_put_hex(char *p, const uint8_t *b, size_t n, int upper);
/* "2024-05-01T08:15:32Z" — the text ipl_time_format gives for whole seconds (truth.c checks
 * this at start). Keeps a one-day cache in a static: the generator is single-threaded. */
char *gen_put_iso(char *p, int64_t t);
char *gen_put4(char *p, int v);                             /* 4 digits, 0-9999 */
/* "2024-05-01T08:15:32.412345+02:00": the site's local time with its offset (rsyslog's
 * RSYSLOG_FileFormat); frac = microseconds. */
char *gen_put_local_iso(char *p, gen_site *site, int64_t t, uint32_t frac);
/* "2024-05-01 08:15:32": the site's local time (gen_local already computed). */
char *gen_put_local_dt(char *p, const gen_local *L);
/* Colon hex, lowercase: "3c:52:82:6a:1b:2f". */
char *gen_put_colon_hex(char *p, const uint8_t *b, size_t n);
/* A mixed 64-bit value from a session id etc., for ids that must look random but be stable. */
static inline uint64_t gen_hash(uint64_t salt, uint64_t v)
{
    return gen_mix64(salt ^ (v * UINT64_C(0x9e3779b97f4a7c15)));
}

/* Sub-second parts that grow within a second: lines written in one second keep their order. */
typedef struct gen_frac {
    int64_t  t;
    uint32_t k;
} gen_frac;
uint32_t gen_frac_next(gen_frac *fr, int64_t t, uint32_t scale);
/* "<local ISO time> <host> <tag>[<pid>]: " — an rsyslog RSYSLOG_FileFormat line head. */
char *gen_put_syslog(char *p, gen_site *site, int64_t t, gen_frac *fr, const char *host,
                     const char *tag, uint32_t pid);
/* The link-local address a client sends DHCPv6 from: fe80:: + its EUI-64. */
char *gen_put_linklocal(char *p, const uint8_t mac[6]);


/* One output file that a writer replaces every local day (or keeps for the whole run). */
typedef struct gen_dayfile {
    gen_file f;
    int      day;                   /* -1 before the first */
    gen_frac fr;
} gen_dayfile;
#define GEN_DAYFILE_INIT { GEN_FILE_INIT, -1, { 0, 0 } }
/* Closes the current file (its bytes and one file counted into c) and creates `path`, making its
 * directory first. */
int  gen_dayfile_open(gen_dayfile *df, const char *path, size_t cap, int day, gen_counts *c,
                      ipl_diag *d);
int  gen_dayfile_close(gen_dayfile *df, gen_counts *c, ipl_diag *d);
/* Buffer size per file when a writer keeps `files` files open at once. */
size_t gen_bufcap(int files);
/* Appends "<dir>	<format>	<tz>	<server>
" to sources.tsv. */
int  gen_source_line(gen_file *sources, const char *dir, const char *format, const char *tz,
                     const char *server, ipl_diag *d);
/* The local date of day index `day` of the run. */
void gen_day_date(const gen_ctx *ctx, int day, int *y, int *m, int *d);

#endif
