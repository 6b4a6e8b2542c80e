/* tools/gen/out_mswin_events.c — Windows DHCP Server configuration-change events from the
 * Microsoft-Windows-Dhcp-Server/Operational channel (FORMATS.md 8; ipledger format
 * "mswin-dhcp-events") of the Windows DHCP sites (--mix all):
 *
 *   DIR/mswin-dhcp-events/<server>/Operational.xml    the channel exported for the whole run,
 *                                                     one <Event> per line, TimeCreated UTC
 *
 *   76   ScopeOptionUpdate     %1 scope "[[10.1.4.0]fra-scope-1]", %2 "006 DNS Servers", %3 admin
 *   106  ReservationConfigured %1 "[10.1.4.7]PRN-FRA-0107", %2 scope, %3 admin
 *   107  ReservationDeleted    the same values
 * <Data> elements are unnamed (their names are not documented): values in message order. The
 * acting admin's SID is System/Security/@UserID. Reservations use the scopes' static range (.1-.9),
 * never leased, so they name an address but change no holder.
 */
#include "tools/gen/gen.h"

#include "engine/err.h"

#include <stdlib.h>
#include <string.h>

#define FOLDER "mswin-dhcp-events"

struct events {
    const gen_ctx *ctx;
    int            active;
    gen_dayfile   *f;               /* [nsites] */
    uint64_t      *record;
    gen_counts     c;
};

static char *put_data(char *p, const char *v, size_t n)
{
    p = GEN_PUTS(p, "<Data>");
    p = gen_put(p, v, n);
    return GEN_PUTS(p, "</Data>");
}

/* "[[10.1.4.0]fra-scope-2]" of the /22 holding ip */
static size_t scope_text(char *buf, const gen_site *site, uint32_t ip)
{
    char *p = buf;
    uint32_t net = ip & ~UINT32_C(0x3ff);
    p = GEN_PUTS(p, "[[");
    p = gen_put_ip4(p, net);
    *p++ = ']';
    p = gen_put(p, site->code, strlen(site->code));
    p = GEN_PUTS(p, "-scope-");
    p = gen_put_u64(p, ((net >> 10) & 63) + 1);
    *p++ = ']';
    return (size_t)(p - buf);
}

static int ev_emit(void *state, const gen_happening *h, ipl_diag *d)
{
    struct events *w = state;
    if (!w->active || h->site->vendor != GEN_V_MSWIN)
        return IPL_OK;
    gen_site *site = h->site;
    int i = site->index, rc;
    gen_dayfile *df = &w->f[i];
    if (h->kind == GEN_H_DAY && h->day == 0) {
        char path[GEN_PATH_MAX];
        if ((rc = gen_path(path, sizeof path, d, "%s/" FOLDER "/%s/Operational.xml", w->ctx->out,
                           site->server)) != IPL_OK)
            return rc;
        return gen_dayfile_open(df, path, (size_t)64 << 10, 0, &w->c, d);
    }
    if (h->kind != GEN_H_CONFIG)
        return IPL_OK;
    if ((rc = gen_file_room(&df->f, d)) != IPL_OK)
        return rc;
    char user[96], scope[64], res[64], uid[64];
    size_t nu = gen_user_name(h->user, user, sizeof user);
    uint32_t ip = (uint32_t)h->sid;
    size_t ns = scope_text(scope, site, ip);
    char *q = res;
    *q++ = '[';
    q = gen_put_ip4(q, ip);
    q = GEN_PUTS(q, "]PRN-");
    for (const char *c = site->code; *c; c++)
        *q++ = (char)(*c - 32);
    *q++ = '-';
    q = gen_put_u64(q, 1000 + (ip & 0x3ff));
    size_t nr = (size_t)(q - res);
    q = GEN_PUTS(uid, "S-1-5-21-3623811015-3361044348-30300820-");
    q = gen_put_u64(q, 1100 + (uint64_t)h->user);
    size_t nid = (size_t)(q - uid);
    uint32_t frac = gen_frac_next(&df->fr, h->t, 10000000);
    char *p = df->f.buf + df->f.len, *start = p;
    p = GEN_PUTS(p, "<Event xmlns=\"http://schemas.microsoft.com/win/2004/08/events/event\"><System>"
                    "<Provider Name=\"Microsoft-Windows-DHCP-Server\" "
                    "Guid=\"{6D64F02C-A125-4DAC-9A01-F0555B41CA84}\"/><EventID>");
    p = gen_put_u64(p, h->cfg);
    p = GEN_PUTS(p, "</EventID><Version>0</Version><Level>4</Level><Task>0</Task><Opcode>0</Opcode>"
                    "<Keywords>0x8000000000000000</Keywords><TimeCreated SystemTime=\"");
    p = gen_put_iso(p, h->t) - 1;
    *p++ = '.';
    for (uint32_t div = 1000000; div; div /= 10)
        *p++ = (char)('0' + frac / div % 10);
    p = GEN_PUTS(p, "Z\"/><EventRecordID>");
    p = gen_put_u64(p, w->record[i]++);
    p = GEN_PUTS(p, "</EventRecordID><Correlation/><Execution ProcessID=\"2208\" ThreadID=\"3120\"/>"
                    "<Channel>Microsoft-Windows-Dhcp-Server/Operational</Channel><Computer>");
    p = gen_put(p, site->server, strlen(site->server));
    p = GEN_PUTS(p, "</Computer><Security UserID=\"");
    p = gen_put(p, uid, nid);
    p = GEN_PUTS(p, "\"/></System><EventData>");
    if (h->cfg == GEN_CFG_OPTION) {
        p = put_data(p, scope, ns);
        p = put_data(p, "006 DNS Servers", 15);
    } else {
        p = put_data(p, res, nr);
        p = put_data(p, scope, ns);
    }
    p = put_data(p, user, nu);
    p = GEN_PUTS(p, "</EventData></Event>\r\n");
    df->f.len += (size_t)(p - start);
    w->c.rows++;
    return IPL_OK;
}

static int ev_open(const gen_ctx *ctx, void **state, ipl_diag *d)
{
    struct events *w = calloc(1, sizeof *w);
    if (!w)
        return ipl_diag_set(d, IPL_ENOMEM, "out of memory");
    w->ctx = ctx;
    w->active = ctx->mix == GEN_MIX_ALL;
    w->f = calloc((size_t)ctx->nsites, sizeof *w->f);
    w->record = calloc((size_t)ctx->nsites, sizeof *w->record);
    if (!w->f || !w->record) {
        free(w->f);
        free(w->record);
        free(w);
        return ipl_diag_set(d, IPL_ENOMEM, "out of memory");
    }
    for (int i = 0; i < ctx->nsites; i++) {
        gen_dayfile init = GEN_DAYFILE_INIT;
        w->f[i] = init;
        w->record[i] = 400 + (uint64_t)i * 31;
    }
    *state = w;
    return IPL_OK;
}

static int ev_finish(void *state, gen_file *sources, gen_counts *c, ipl_diag *d)
{
    struct events *w = state;
    int rc = IPL_OK;
    for (int i = 0; w->active && i < w->ctx->nsites && !rc; i++) {
        const gen_site *site = &w->ctx->sites[i];
        if (site->vendor != GEN_V_MSWIN)
            continue;
        char dir[GEN_PATH_MAX];
        rc = gen_dayfile_close(&w->f[i], &w->c, d);
        if (!rc)
            rc = gen_path(dir, sizeof dir, d, FOLDER "/%s", site->server);
        if (!rc)
            rc = gen_source_line(sources, dir, FOLDER, "UTC", site->server, d);
    }
    c->files += w->c.files;
    c->rows += w->c.rows;
    c->bytes += w->c.bytes;
    return rc;
}

static void ev_free(void *state)
{
    struct events *w = state;
    if (!w)
        return;
    for (int i = 0; i < w->ctx->nsites; i++)
        gen_file_close(&w->f[i].f, NULL);
    free(w->f);
    free(w->record);
    free(w);
}

const gen_writer_ops gen_out_mswin_events = {
    .name = FOLDER,
    .open = ev_open,
    .emit = ev_emit,
    .finish = ev_finish,
    .free = ev_free,
};
