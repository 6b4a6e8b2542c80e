/* queries/asm_csv.c — CSV import and export of address-space objects, with IPAM's column names
 * (Network, Start IP address, End IP address, IP address, Managed by service, Service instance,
 * Assignment type, IP address state, ...) or ipledger's own (type, space, id and field names).
 *
 * Import: RFC 4180 (quoted fields, "" escapes; a quoted field may not span lines), a header row,
 * at most IPL_ASM_CSV_ROWS_MAX rows of at most IPL_ASM_CSV_LINE_MAX bytes. Each row is validated
 * and applied to the working view; a row that fails is reported with its row number (the header
 * is row 1) and nothing of it is written; valid rows are committed (in batches of 5,000 rows, all
 * under the asm lock). A row names an object that exists: it is edited; else created. Unknown
 * columns become custom fields (custom.<name>); IPAM values are mapped (In-Use -> in-use,
 * Static -> static, M/D/YYYY -> YYYY-MM-DD).
 */
#include "queries/asm_int.h"

#include "engine/addr.h"
#include "engine/err.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct col {
    const char *ipam;       /* IPAM's column name */
    const char *field;      /* ipledger's field */
    unsigned    types;      /* bit per ipl_asm_type: exported for these */
} col;
#define B_ (1u << IPL_ASM_BLOCK)
#define S_ (1u << IPL_ASM_SUBNET)
#define R_ (1u << IPL_ASM_RANGE)
#define A_ (1u << IPL_ASM_ADDRESS)
static const col cols[] = {
    {"Network", "network", B_ | S_ | R_},
    {"Start IP address", "start", R_},
    {"End IP address", "end", R_},
    {"IP address", "ip", A_},
    {"Address space", "space", B_ | S_ | R_ | A_},
    {"Name", "name", S_ | R_},
    {"Managed by service", "managed_by", R_},
    {"Service instance", "service_instance", R_},
    {"Assignment type", "assignment", A_},
    {"IP address state", "state", A_},
    {"MAC address", "mac", A_},
    {"Client ID", "duid", A_},
    {"Device name", "device", A_},
    {"Expiry date", "expiry", A_},
    {"VLAN ID", "vlan", S_ | R_},
    {"Regional Internet Registry", "rir", B_},
    {"Received date", "received", B_},
    {"Owner", "owner", B_ | S_ | R_ | A_},
    {"Description", "description", B_ | S_ | R_ | A_},
    {"Origin", "origin", R_},
    {"Exclusions", "exclude", R_},
    {"Low threshold", "low", B_ | S_ | R_},
    {"High threshold", "high", B_ | S_ | R_},
};
#define NCOLS (sizeof cols / sizeof cols[0])

/* ---- CSV reading ---- */

#define CSV_FIELDS_MAX 64

/* Splits one record starting at *pos (a line; quotes may not span lines). Fields are written
 * unescaped into buf (NUL-separated). Returns the number of fields, 0 at the end, -1 on error
 * (message in err). */
static int csv_row(const char *s, size_t len, size_t *pos, char *buf, size_t bufsz,
                   char **f, char *err, size_t errsz)
{
    size_t p = *pos, w = 0;
    int nf = 0;
    if (p >= len)
        return 0;
    size_t eol = p;
    while (eol < len && s[eol] != '\n')
        eol++;
    *pos = eol < len ? eol + 1 : eol;
    if (eol - p > IPL_ASM_CSV_LINE_MAX) {
        snprintf(err, errsz, "line longer than %d bytes", IPL_ASM_CSV_LINE_MAX);
        return -1;
    }
    if (eol > p && s[eol - 1] == '\r')
        eol--;
    for (;;) {
        if (nf >= CSV_FIELDS_MAX) {
            snprintf(err, errsz, "more than %d fields", CSV_FIELDS_MAX);
            return -1;
        }
        f[nf++] = buf + w;
        if (p < eol && s[p] == '"') {
            p++;
            for (;;) {
                if (p >= eol) {
                    snprintf(err, errsz, "unterminated quoted field %d", nf);
                    return -1;
                }
                if (s[p] == '"') {
                    if (p + 1 < eol && s[p + 1] == '"') {
                        buf[w++] = '"';
                        p += 2;
                        continue;
                    }
                    p++;
                    break;
                }
                buf[w++] = s[p++];
            }
            if (p < eol && s[p] != ',') {
                snprintf(err, errsz, "text after the closing quote of field %d", nf);
                return -1;
            }
        } else
            while (p < eol && s[p] != ',')
                buf[w++] = s[p++];
        buf[w++] = 0;
        if (w >= bufsz - 2) {
            snprintf(err, errsz, "row too long");
            return -1;
        }
        if (p >= eol)
            break;
        p++;    /* the comma */
    }
    return nf;
}

static void trim(char *s)
{
    size_t n = strlen(s), i = 0;
    while (n && isspace((unsigned char)s[n - 1]))
        s[--n] = 0;
    while (isspace((unsigned char)s[i]))
        i++;
    memmove(s, s + i, n - i + 1);
}

/* IPAM value spellings to ipledger's: lower case for enums, dates to YYYY-MM-DD. */
static void map_value(const char *field, char *v, size_t vsz)
{
    if (strcmp(field, "assignment") == 0 || strcmp(field, "state") == 0 ||
        strcmp(field, "origin") == 0) {
        for (char *p = v; *p; p++)
            *p = (char)tolower((unsigned char)*p);
        if (strcmp(v, "in use") == 0)
            snprintf(v, vsz, "in-use");
    } else if (strcmp(field, "rir") == 0) {
        for (char *p = v; *p; p++)
            *p = (char)toupper((unsigned char)*p);
    } else if (strcmp(field, "expiry") == 0 || strcmp(field, "received") == 0) {
        unsigned m, dd, y;
        char rest;
        if (sscanf(v, "%u/%u/%u%c", &m, &dd, &y, &rest) == 3 && m <= 12 && dd <= 31 && y < 10000)
            snprintf(v, vsz, "%04u-%02u-%02u", y, m, dd);
    }
}

int ipl_asm_csv_import(ipl_store *st, const ipl_asm_actor *a, ipl_asm_type type,
                       const char *space, const char *text, size_t len, ipl_asm_rowerr_fn errfn,
                       void *ctx, uint64_t *ok, uint64_t *bad, ipl_diag *d)
{
    ipl_asm_lock lk = {-1};
    ipl_rtxn *t = NULL;
    ipl_asm_view *v = NULL;
    ipl_batch *b = NULL;
    char *hbuf = NULL, *rbuf = NULL, *hf[CSV_FIELDS_MAX], *rf[CSV_FIELDS_MAX];
    const char *map[CSV_FIELDS_MAX];
    char (*fbuf)[IPL_ASM_CSV_LINE_MAX / 4] = NULL;
    char msg[600];
    size_t pos = 0;
    uint64_t row = 1, pending = 0;
    int err = IPL_OK, nh;
    *ok = *bad = 0;
    if (type == IPL_ASM_SPACE)
        return ipl_diag_set(d, IPL_EINVAL, "import: spaces are created with 'asm space create'");
    hbuf = malloc(IPL_ASM_CSV_LINE_MAX + 8);
    rbuf = malloc(IPL_ASM_CSV_LINE_MAX + 8);
    fbuf = malloc(CSV_FIELDS_MAX * sizeof *fbuf);
    if (!hbuf || !rbuf || !fbuf) {
        err = ipl_diag_set(d, IPL_ENOMEM, "out of memory");
        goto out;
    }
    nh = csv_row(text, len, &pos, hbuf, IPL_ASM_CSV_LINE_MAX + 8, hf, msg, sizeof msg);
    if (nh <= 0) {
        err = ipl_diag_set(d, IPL_EPARSE, "import: row 1 (header): %s",
                           nh == 0 ? "empty input" : msg);
        goto out;
    }
    for (int i = 0; i < nh; i++) {
        trim(hf[i]);
        map[i] = NULL;
        if (strcasecmp(hf[i], "type") == 0 || strcasecmp(hf[i], "id") == 0) {
            map[i] = strcasecmp(hf[i], "type") == 0 ? "type" : "id";
            continue;
        }
        for (size_t k = 0; k < NCOLS && !map[i]; k++)
            if (strcasecmp(hf[i], cols[k].ipam) == 0 || strcasecmp(hf[i], cols[k].field) == 0)
                map[i] = cols[k].field;
        if (!map[i]) {
            /* a custom field: "custom.X", "Custom: X" or any other column name */
            char *nm = hf[i];
            if (strncasecmp(nm, "custom.", 7) == 0)
                nm += 7;
            else if (strncasecmp(nm, "custom:", 7) == 0)
                nm += 7;
            while (*nm == ' ')
                nm++;
            for (char *p = nm; *p; p++)
                if (*p == ' ')
                    *p = '_';
            memmove(hf[i] + 7, nm, strlen(nm) + 1);
            memcpy(hf[i], "custom.", 7);
            map[i] = hf[i];
        }
    }
    if ((err = ipl_asm__lock(st, &lk, d)) || (err = ipl_rtxn_begin(st, &t, d)) ||
        (err = ipl_asm_view_load(t, &v, d)) || (err = ipl_batch_new(&b)))
        goto out;
    ipl_rtxn_end(t);
    t = NULL;
    for (;;) {
        int nf = csv_row(text, len, &pos, rbuf, IPL_ASM_CSV_LINE_MAX + 8, rf, msg, sizeof msg);
        if (nf == 0)
            break;
        row++;
        if (row > IPL_ASM_CSV_ROWS_MAX + 1) {
            err = ipl_diag_set(d, IPL_ELIMIT, "import: more than %d rows", IPL_ASM_CSV_ROWS_MAX);
            goto out;
        }
        if (nf < 0) {
            (*bad)++;
            if (errfn && (err = errfn(ctx, row, msg)))
                goto out;
            continue;
        }
        if (nf == 1 && rf[0][0] == 0)
            continue;       /* blank line */
        const char *fv[IPL_ASM_FIELDS_MAX], *rspace = space, *id = NULL, *net = NULL,
                   *start = NULL, *end = NULL, *ip = NULL;
        size_t nfv = 0;
        char idbuf[200];
        ipl_asm_type rt = type;
        int rowbad = 0;
        if (nf != nh) {
            snprintf(msg, sizeof msg, "%d fields, the header has %d", nf, nh);
            rowbad = 1;
        }
        for (int i = 0; i < nf && !rowbad; i++) {
            trim(rf[i]);
            const char *fn = map[i];
            if (strcmp(fn, "type") == 0) {
                if (ipl_asm_type_parse(rf[i], &rt) || rt == IPL_ASM_SPACE) {
                    snprintf(msg, sizeof msg, "type '%.60s' is not block, subnet, range or address",
                             rf[i]);
                    rowbad = 1;
                }
                continue;
            }
            if (!*rf[i])
                continue;
            if (strcmp(fn, "id") == 0)
                id = rf[i];
            else if (strcmp(fn, "space") == 0)
                rspace = rf[i];
            else if (strcmp(fn, "network") == 0)
                net = rf[i];
            else if (strcmp(fn, "start") == 0)
                start = rf[i];
            else if (strcmp(fn, "end") == 0)
                end = rf[i];
            else if (strcmp(fn, "ip") == 0)
                ip = rf[i];
            else {
                if (nfv >= IPL_ASM_FIELDS_MAX) {
                    snprintf(msg, sizeof msg, "more than %d fields", IPL_ASM_FIELDS_MAX);
                    rowbad = 1;
                    break;
                }
                char val[IPL_ASM_CSV_LINE_MAX / 4 - 100];
                snprintf(val, sizeof val, "%.1000s", rf[i]);
                map_value(fn, val, sizeof val);
                snprintf(fbuf[nfv], sizeof fbuf[nfv], "%.80s=%s", fn, val);
                fv[nfv] = fbuf[nfv];
                nfv++;
            }
        }
        if (!rowbad && !id) {
            if (rt == IPL_ASM_RANGE && start && end) {
                snprintf(idbuf, sizeof idbuf, "%.90s-%.90s", start, end);
                id = idbuf;
            } else if (rt == IPL_ASM_ADDRESS && ip)
                id = ip;
            else if ((rt == IPL_ASM_BLOCK || rt == IPL_ASM_SUBNET) && net)
                id = net;
            if (!id) {
                snprintf(msg, sizeof msg, "no %s column for the %s",
                         rt == IPL_ASM_RANGE     ? "Start IP address/End IP address"
                         : rt == IPL_ASM_ADDRESS ? "IP address"
                                                 : "Network",
                         ipl_asm_type_name(rt));
                rowbad = 1;
            }
        }
        if (!rowbad && rt == IPL_ASM_RANGE && net && nfv < IPL_ASM_FIELDS_MAX) {
            snprintf(fbuf[nfv], sizeof fbuf[nfv], "subnet=%.200s", net);
            fv[nfv] = fbuf[nfv];
            nfv++;
        }
        if (!rowbad && rt == IPL_ASM_RANGE && nfv < IPL_ASM_FIELDS_MAX) {
            int has_origin = 0;
            for (size_t k = 0; k < nfv; k++)
                has_origin |= strncmp(fv[k], "origin=", 7) == 0;
            if (!has_origin && !ipl_asm_find(v, rt, rspace, id))
                fv[nfv++] = "origin=import";
        }
        if (!rowbad) {
            ipl_diag rd = {0};
            ipl_asm_change c = {rt, ipl_asm_find(v, rt, rspace, id) ? IPL_ASM_EDIT : IPL_ASM_CREATE,
                                rspace, id, fv, nfv, 0};
            int rc = ipl_asm__apply_to(v, b, a, &c, 1, &rd);
            if (rc == IPL_ENOMEM || rc == IPL_ESTORE || rc == IPL_EIO) {
                err = ipl_diag_set(d, rc, "import: row %llu: %s", (unsigned long long)row, rd.msg);
                goto out;
            }
            if (rc) {
                snprintf(msg, sizeof msg, "%s", rd.msg);
                rowbad = 1;
            }
        }
        if (rowbad) {
            (*bad)++;
            if (errfn && (err = errfn(ctx, row, msg)))
                goto out;
            continue;
        }
        (*ok)++;
        if (++pending >= 5000) {
            if (ipl_batch_events(b) && (err = ipl_store_commit(st, b, NULL, d)))
                goto out;
            ipl_batch_clear(b);
            pending = 0;
        }
    }
    if (ipl_batch_events(b))
        err = ipl_store_commit(st, b, NULL, d);
out:
    ipl_rtxn_end(t);
    ipl_batch_free(b);
    ipl_asm_view_free(v);
    ipl_asm__unlock(&lk);
    free(hbuf);
    free(rbuf);
    free(fbuf);
    return err;
}

/* ---- export ---- */

typedef struct wbuf {
    char   b[16384];
    size_t n;
    ipl_asm_write_fn w;
    void  *ctx;
    int    err;
} wbuf;

static void wput(wbuf *o, const char *s, size_t n)
{
    while (n && !o->err) {
        size_t k = sizeof o->b - o->n < n ? sizeof o->b - o->n : n;
        memcpy(o->b + o->n, s, k);
        o->n += k;
        s += k;
        n -= k;
        if (o->n == sizeof o->b) {
            if (o->w(o->ctx, o->b, o->n) < 0)
                o->err = IPL_EIO;
            o->n = 0;
        }
    }
}

static void wcell(wbuf *o, const char *s, int first)
{
    if (!first)
        wput(o, ",", 1);
    if (!s)
        return;
    if (strpbrk(s, ",\"\r\n")) {
        wput(o, "\"", 1);
        for (const char *p = s; *p; p++)
            wput(o, p, 1), (*p == '"' ? wput(o, "\"", 1) : (void)0);
        wput(o, "\"", 1);
    } else
        wput(o, s, strlen(s));
}

int ipl_asm_csv_export(const ipl_asm_view *v, ipl_asm_type type, const char *space, int ipam,
                       ipl_asm_write_fn w, void *ctx, ipl_diag *d)
{
    wbuf *o = calloc(1, sizeof *o);
    int first = 1;
    if (!o)
        return ipl_diag_set(d, IPL_ENOMEM, "out of memory");
    o->w = w;
    o->ctx = ctx;
    if (!ipam) {
        wcell(o, "type", 1);
        wcell(o, "id", 0);
        first = 0;
    }
    for (size_t k = 0; k < NCOLS; k++)
        if (cols[k].types & (1u << type)) {
            wcell(o, ipam ? cols[k].ipam : cols[k].field, first);
            first = 0;
        }
    if (!ipam)
        wcell(o, "custom", 0);
    wput(o, "\r\n", 2);
    size_t n = ipl_asm_count(v, type);
    for (size_t i = 0; i < n && !o->err; i++) {
        const ipl_asm_obj *x = ipl_asm_at(v, type, i);
        char a1[IPL_IP_TEXT], a2[IPL_IP_TEXT], list[2048];
        if (space && strcmp(x->space, space) != 0)
            continue;
        first = 1;
        if (!ipam) {
            wcell(o, ipl_asm_type_name(type), 1);
            wcell(o, x->id, 0);
            first = 0;
        }
        for (size_t k = 0; k < NCOLS; k++) {
            if (!(cols[k].types & (1u << type)))
                continue;
            const char *f = cols[k].field, *val = NULL;
            if (strcmp(f, "network") == 0)
                val = type == IPL_ASM_RANGE ? ipl_asm_obj_str(x, "subnet") : x->id;
            else if (strcmp(f, "start") == 0 || strcmp(f, "end") == 0) {
                ipl_ip_format(f[0] == 's' ? x->lo : x->hi, a1, sizeof a1);
                val = a1;
            } else if (strcmp(f, "ip") == 0) {
                ipl_ip_format(x->lo, a2, sizeof a2);
                val = a2;
            } else if (strcmp(f, "space") == 0)
                val = x->space;
            else if (strcmp(f, "exclude") == 0) {
                size_t ln = 0;
                list[0] = 0;
                for (size_t q = 0; ipl_asm__obj_list(x, "exclude", q) && ln < sizeof list - 100; q++)
                    ln += (size_t)snprintf(list + ln, sizeof list - ln, "%s%s", q ? ";" : "",
                                           ipl_asm__obj_list(x, "exclude", q));
                val = list;
            } else
                val = ipl_asm_obj_str(x, f);
            wcell(o, val, first);
            first = 0;
        }
        if (!ipam) {
            char *js = ipl_asm_obj_json(x);
            /* custom fields as their JSON object text (round-trips through import as-is is not
             * promised: import takes one value per custom column) */
            const char *cu = js ? strstr(js, "\"custom\":") : NULL;
            char cbuf[2048] = "";
            if (cu) {
                cu += 9;
                int depth = 0;
                size_t q = 0;
                for (; cu[q] && q < sizeof cbuf - 1; q++) {
                    depth += cu[q] == '{' ? 1 : cu[q] == '}' ? -1 : 0;
                    if (depth == 0 && q > 0)
                        break;
                }
                snprintf(cbuf, sizeof cbuf, "%.*s", (int)(q + 1), cu);
            }
            wcell(o, cbuf[0] ? cbuf : NULL, 0);
            free(js);
        }
        wput(o, "\r\n", 2);
    }
    if (!o->err && o->n && w(ctx, o->b, o->n) < 0)
        o->err = IPL_EIO;
    int err = o->err ? ipl_diag_set(d, IPL_EIO, "export: write error") : IPL_OK;
    free(o);
    return err;
}
