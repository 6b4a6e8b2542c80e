/* tests/fuzz/fuzz_xml.c — libFuzzer target for parsers/xml.c: the scanner walks the whole input
 * (every string read back so ASan sees a bad pointer or length), the Windows <Event> walker reads
 * it, the framer is fed the input whole and in pieces (the boundaries must agree: a differential
 * check), and the record stream gets it line by line with the walker on every record.
 */
#include "engine/err.h"
#include "parsers/xml.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile size_t sink;

static void touch(ipl_xml_str s)
{
    for (size_t i = 0; i < s.n; i++)
        sink += (unsigned char)s.p[i];
}

static void check_diag(int rc, const ipl_diag *d)
{
    if (rc != IPL_OK && (d->code != rc || d->msg[0] == '\0'))
        abort();                         /* every error carries its reason */
}

static void scan(const char *s, size_t n, ipl_arena *a)
{
    ipl_xml x;
    ipl_xml_token t;
    ipl_diag d;
    ipl_diag_clear(&d);
    ipl_xml_init(&x, s, n, 0, a);
    int depth = 0;
    for (int guard = 0; guard < 1 << 20; guard++) {
        int rc = ipl_xml_next(&x, &t, &d);
        if (rc != IPL_OK) {
            check_diag(rc, &d);
            return;
        }
        if (t.type == IPL_XML_EOF) {
            if (depth != 0)
                abort();
            return;
        }
        if (t.offset > n)
            abort();
        if (t.type == IPL_XML_OPEN) {
            depth++;
            if (t.depth != depth || depth > IPL_XML_DEPTH_MAX || t.nattr > IPL_XML_ATTR_MAX)
                abort();
            touch(t.name);
            for (size_t i = 0; i < t.nattr; i++) {
                touch(t.attr[i].name);
                touch(t.attr[i].value);
            }
        } else if (t.type == IPL_XML_CLOSE) {
            if (t.depth != depth)
                abort();
            depth--;
            touch(t.name);
        } else {
            if (t.text.n == 0 || ipl_utf8_check(t.text.p, t.text.n) != t.text.n)
                abort();                 /* decoded text is non-empty, valid UTF-8, no NUL */
            touch(t.text);
        }
    }
    abort();                             /* the scanner must make progress */
}

static void frames(const char *s, size_t n, size_t step, ipl_xml_frame *out, size_t *nout,
                   size_t max)
{
    ipl_xml_framer f;
    ipl_xml_framer_init(&f);
    *nout = 0;
    for (size_t pos = 0; pos < n;) {
        size_t k = n - pos < step ? n - pos : step, done = 0;
        while (done < k) {
            size_t used;
            ipl_xml_frame fr;
            ipl_xml_framer_feed(&f, s + pos + done, k - done, &used, &fr);
            if (used == 0 && fr.kind == IPL_XML_FRAME_NONE)
                abort();
            done += used;
            if (fr.kind != IPL_XML_FRAME_NONE && *nout < max)
                out[(*nout)++] = fr;
        }
        pos += k;
    }
}

static uint64_t *rec_hash;     /* the transcript of the current stream pass */

static void mix(uint64_t *h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        *h = (*h ^ b[i]) * 1099511628211ull;
}

static int on_record(void *arg, const char *p, size_t n, size_t base, ipl_diag *d)
{
    ipl_winevent *w = arg;
    if (rec_hash) {
        mix(rec_hash, p, n);
        mix(rec_hash, &base, sizeof base);
    }
    ipl_arena a;
    ipl_arena_init(&a, 1 << 22);
    int rc = ipl_winevent_parse(p, n, base, &a, w, d);
    if (rc == IPL_OK) {
        touch(w->event_id);
        touch(w->computer);
        for (size_t i = 0; i < w->ndata; i++) {
            touch(w->data[i].name);
            touch(w->data[i].value);
        }
        ipl_civil c;
        int has, off;
        if (w->system_time.p)
            sink += (size_t)ipl_winevent_time(w->system_time.p, w->system_time.n, &c, &has, &off);
    }
    ipl_arena_release(&a);
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    /* the scanner and the walker over an exact copy (reads past the end are caught) */
    char *copy = malloc(size ? size : 1);
    if (!copy)
        return 0;
    memcpy(copy, s, size);
    ipl_arena a;
    ipl_arena_init(&a, 1 << 22);
    scan(copy, size, &a);
    ipl_winevent *w = malloc(sizeof *w);
    ipl_diag d;
    ipl_diag_clear(&d);
    if (w) {
        int rc = ipl_winevent_parse(copy, size, 0, &a, w, &d);
        check_diag(rc, &d);
    }
    ipl_arena_release(&a);

    /* framer: whole vs pieces */
    static ipl_xml_frame f1[256], f2[256];
    size_t n1, n2, step = size ? 1 + (unsigned char)s[0] % 7 : 1;
    frames(copy, size, size ? size : 1, f1, &n1, 256);
    frames(copy, size, step, f2, &n2, 256);
    if (n1 != n2)
        abort();
    for (size_t i = 0; i < n1; i++)
        if (f1[i].kind != f2[i].kind || f1[i].depth != f2[i].depth || f1[i].start != f2[i].start ||
            f1[i].end != f2[i].end || f1[i].end > size || strcmp(f1[i].name, f2[i].name) != 0)
            abort();

    /* the record stream, line by line: with the interior-line shortcut and without it, the
     * same records and the same errors (a transcript hash compared) */
    uint64_t transcript[2] = {0, 0};
    for (int pass = 0; pass < 2 && w; pass++) {
    ipl_xml_interior_fast = pass == 0;
    uint64_t *th = &transcript[pass];
    *th = 1469598103934665603ull;
    rec_hash = th;
    ipl_xml_stream xs;
    ipl_xml_stream_init(&xs, "Event", "Events", 4096);
    for (size_t pos = 0; pos <= size && w;) {
        const char *nl = pos < size ? memchr(s + pos, '\n', size - pos) : NULL;
        size_t end = nl ? (size_t)(nl - s) : size;
        size_t n = end - pos;
        char *line = malloc(n ? n : 1);
        if (!line)
            break;
        memcpy(line, s + pos, n);
        ipl_diag_clear(&d);
        int rc = ipl_xml_stream_line(&xs, line, n, on_record, w, &d);
        check_diag(rc, &d);
        mix(th, &rc, sizeof rc);
        if (rc)
            mix(th, d.msg, strlen(d.msg));
        if (xs.len > xs.max)
            abort();
        free(line);
        if (!nl)
            break;
        pos = end + 1;
    }
    ipl_diag_clear(&d);
    int frc = ipl_xml_stream_finish(&xs, &d);
    check_diag(frc, &d);
    mix(th, &frc, sizeof frc);
    if (ipl_xml_stream_pending(&xs))
        abort();
    ipl_xml_stream_release(&xs);
    }
    ipl_xml_interior_fast = 1;
    rec_hash = NULL;
    if (transcript[0] != transcript[1])
        abort();                         /* the shortcut changed what the stream reports */
    free(w);
    free(copy);
    return 0;
}
