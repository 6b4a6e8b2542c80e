/* tests/unit/parsers/xml_test.c — the XML scanner, framer, record stream and Windows <Event>
 * walker (parsers/xml.c): tokens, decoding, every refusal with its exact reason, limits, the framer
 * against every split of its input, the record stream over one-per-line, wrapped, pretty-printed
 * and broken input, and the ISO 8601 times of event renderings.
 */
#include "tests/unit/check.h"

#include "engine/err.h"
#include "parsers/xml.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static ipl_arena arena;
static ipl_diag diag;

static int str_eq(ipl_xml_str s, const char *lit)
{
    return s.p && strlen(lit) == s.n && memcmp(s.p, lit, s.n) == 0;
}

/* Scans the whole buffer; returns the final code; renders the tokens into out. */
static int scan_all(const char *buf, size_t len, char *out, size_t outsz)
{
    ipl_xml x;
    ipl_xml_token t;
    size_t o = 0;
    ipl_arena_clear(&arena);
    ipl_diag_clear(&diag);
    ipl_xml_init(&x, buf, len, 0, &arena);
    out[0] = '\0';
    for (;;) {
        int rc = ipl_xml_next(&x, &t, &diag);
        if (rc != IPL_OK)
            return rc;
        int k = 0;
        if (t.type == IPL_XML_EOF)
            return IPL_OK;
        if (t.type == IPL_XML_OPEN) {
            k = snprintf(out + o, outsz - o, "<%.*s%s", (int)t.name.n, t.name.p, "");
            o += (size_t)k;
            for (size_t i = 0; i < t.nattr; i++) {
                k = snprintf(out + o, outsz - o, " %.*s=%.*s", (int)t.attr[i].name.n,
                             t.attr[i].name.p, (int)t.attr[i].value.n, t.attr[i].value.p);
                o += (size_t)k;
            }
            k = snprintf(out + o, outsz - o, "%s>", t.empty ? "/" : "");
        } else if (t.type == IPL_XML_CLOSE) {
            k = snprintf(out + o, outsz - o, "</%.*s>", (int)t.name.n, t.name.p);
        } else {
            k = snprintf(out + o, outsz - o, "[%.*s]", (int)t.text.n, t.text.p);
        }
        o += (size_t)k;
    }
}

static int scan(const char *s, char *out, size_t outsz)
{
    return scan_all(s, strlen(s), out, outsz);
}

/* Expects an error with exactly this message. */
#define CHECK_ERR(doc, want)                                                       \
    do {                                                                           \
        char o_[1024];                                                             \
        CHECK_INT(scan(doc, o_, sizeof o_), IPL_EPARSE);                           \
        CHECK_STR(diag.msg, want);                                                 \
    } while (0)

static void test_tokens(void)
{
    char out[1024];
    CHECK_INT(scan("<a x=\"1\" y='two'><b/>text<c:d e:f=\"g\"></c:d></a>", out, sizeof out),
              IPL_OK);
    CHECK_STR(out, "<a x=1 y=two><b/></b>[text]<c:d e:f=g></c:d></a>");

    /* depth, offsets, blank text, the CLOSE of an empty-element tag */
    ipl_xml x;
    ipl_xml_token t;
    const char *doc = "<r>\n <e a='1'/>\n</r>";
    ipl_xml_init(&x, doc, strlen(doc), 100, &arena);
    CHECK_INT(ipl_xml_next(&x, &t, &diag), IPL_OK);
    CHECK_INT(t.type, IPL_XML_OPEN);
    CHECK_INT(t.depth, 1);
    CHECK_INT(t.offset, 100);
    CHECK_INT(ipl_xml_next(&x, &t, &diag), IPL_OK);
    CHECK_INT(t.type, IPL_XML_TEXT);
    CHECK_INT(t.blank, 1);
    CHECK_INT(t.depth, 1);
    CHECK_INT(ipl_xml_next(&x, &t, &diag), IPL_OK);
    CHECK_INT(t.type, IPL_XML_OPEN);
    CHECK_INT(t.empty, 1);
    CHECK_INT(t.depth, 2);
    CHECK_INT(t.offset, 105);
    CHECK(str_eq(*ipl_xml_attr_get(&t, "a"), "1"));
    CHECK(ipl_xml_attr_get(&t, "b") == NULL);
    CHECK_INT(ipl_xml_next(&x, &t, &diag), IPL_OK);
    CHECK_INT(t.type, IPL_XML_CLOSE);
    CHECK_INT(t.depth, 2);
    CHECK(str_eq(t.name, "e"));
    CHECK_INT(ipl_xml_next(&x, &t, &diag), IPL_OK);
    CHECK_INT(t.type, IPL_XML_TEXT);
    CHECK_INT(ipl_xml_next(&x, &t, &diag), IPL_OK);
    CHECK_INT(t.type, IPL_XML_CLOSE);
    CHECK_INT(t.depth, 1);
    CHECK_INT(ipl_xml_next(&x, &t, &diag), IPL_OK);
    CHECK_INT(t.type, IPL_XML_EOF);
    CHECK_INT(ipl_xml_next(&x, &t, &diag), IPL_OK);     /* EOF again */
    CHECK_INT(t.type, IPL_XML_EOF);

    /* blanks inside tags; BOM; XML declaration; comments and PIs anywhere */
    CHECK_INT(scan("\xEF\xBB\xBF<?xml version=\"1.0\"?><!-- c --><a  x = \"1\"\n\ty='2' ><?pi x?></a >",
                   out, sizeof out), IPL_OK);
    CHECK_STR(out, "<a x=1 y=2></a>");
    CHECK_INT(scan("", out, sizeof out), IPL_OK);
    CHECK_STR(out, "");
    CHECK_INT(scan("<a/>", out, sizeof out), IPL_OK);
    CHECK_STR(out, "<a/></a>");
    /* non-ASCII names and values */
    CHECK_INT(scan("<\xC3\xA9l\xC3\xA9ment n=\"\xE2\x98\xBA\">\xF0\x9F\x98\x80</\xC3\xA9l\xC3\xA9ment>",
                   out, sizeof out), IPL_OK);
    CHECK_STR(out, "<\xC3\xA9l\xC3\xA9ment n=\xE2\x98\xBA>[\xF0\x9F\x98\x80]</\xC3\xA9l\xC3\xA9ment>");
}

static void test_decoding(void)
{
    char out[1024];
    CHECK_INT(scan("<a v=\"&lt;&gt;&amp;&apos;&quot;\">&lt;&gt;&amp;&apos;&quot;</a>", out, sizeof out),
              IPL_OK);
    CHECK_STR(out, "<a v=<>&'\">[<>&'\"]</a>");
    CHECK_INT(scan("<a>&#65;&#x42;&#x263a;&#x1F600;&#128512;</a>", out, sizeof out), IPL_OK);
    CHECK_STR(out, "<a>[AB\xE2\x98\xBA\xF0\x9F\x98\x80\xF0\x9F\x98\x80]</a>");
    /* text split by a comment, a PI and CDATA becomes one token */
    CHECK_INT(scan("<a>x<!-- no -->y<?pi?><![CDATA[<z>&amp;]]>w</a>", out, sizeof out), IPL_OK);
    CHECK_STR(out, "<a>[xy<z>&amp;w]</a>");
    /* a control character by reference is kept; quotes of the other kind stay in values */
    CHECK_INT(scan("<a v='say \"hi\"' w=\"it's\">&#9;&#x1;</a>", out, sizeof out), IPL_OK);
    CHECK_STR(out, "<a v=say \"hi\" w=it's>[\t\x01]</a>");

    /* zero copy: undecoded text and values point into the buffer */
    const char *doc = "<a v=\"plain\">just text</a>";
    ipl_xml x;
    ipl_xml_token t;
    ipl_xml_init(&x, doc, strlen(doc), 0, &arena);
    CHECK_INT(ipl_xml_next(&x, &t, &diag), IPL_OK);
    CHECK(t.attr[0].value.p == doc + 6);
    CHECK_INT(ipl_xml_next(&x, &t, &diag), IPL_OK);
    CHECK(t.text.p == doc + 13);
    CHECK_INT(t.blank, 0);
    CHECK(x.scratch == NULL);

    /* decoded strings stay valid across later tokens */
    const char *doc2 = "<a><b>1&amp;2</b><c>3&lt;4</c></a>";
    ipl_xml_init(&x, doc2, strlen(doc2), 0, &arena);
    ipl_xml_str first = {NULL, 0};
    for (;;) {
        CHECK_INT(ipl_xml_next(&x, &t, &diag), IPL_OK);
        if (t.type == IPL_XML_EOF)
            break;
        if (t.type == IPL_XML_TEXT && !first.p)
            first = t.text;
    }
    CHECK(str_eq(first, "1&2"));
}

static void test_errors(void)
{
    CHECK_ERR("<a><b v=\"x></b></a>", "unterminated attribute value at byte 8: '<' at byte 11");
    CHECK_ERR("<a v=\"x", "unterminated attribute value at byte 5");
    CHECK_ERR("<a v=x>", "value of attribute 'v' at byte 5 is not quoted");
    CHECK_ERR("<a v>", "attribute 'v' at byte 3 has no '=' and value");
    CHECK_ERR("<a v='1'w='2'>", "missing blank before an attribute in <a> at byte 8");
    CHECK_ERR("<a v='1' v='2'>", "duplicate attribute 'v' at byte 9");
    CHECK_ERR("<a>&bogus;</a>", "unknown entity '&bogus;' at byte 3");
    CHECK_ERR("<a>AT&T</a>", "unterminated entity reference at byte 5");
    CHECK_ERR("<a>&#0;</a>", "character reference '&#0;' at byte 3 is not an XML character");
    CHECK_ERR("<a>&#xD800;</a>", "character reference '&#xD800;' at byte 3 is not an XML character");
    CHECK_ERR("<a>&#x110000;</a>",
              "character reference '&#x110000;' at byte 3 is not an XML character");
    CHECK_ERR("<a>&#xZ1;</a>", "malformed character reference at byte 3");
    CHECK_ERR("<a>&#12345678;</a>", "malformed character reference at byte 3");
    CHECK_ERR("<a v='&lt'/>", "unterminated entity reference at byte 6");
    CHECK_ERR("<a></b>", "end tag </b> at byte 3 does not match <a> at byte 0");
    CHECK_ERR("</a>", "end tag </a> at byte 0 closes no element");
    CHECK_ERR("<a><b></b>", "unexpected end of input: <a> at byte 0 is not closed");
    CHECK_ERR("<a><!-- x </a>", "unterminated comment at byte 3");
    CHECK_ERR("<a><![CDATA[ x </a>", "unterminated CDATA section at byte 3");
    CHECK_ERR("<a><?pi </a>", "unterminated processing instruction at byte 3");
    CHECK_ERR("<a x='1'", "unterminated start tag <a> at byte 0");
    CHECK_ERR("<a></a", "unterminated end tag </a> at byte 3");
    CHECK_ERR("<a>x<", "unterminated tag at byte 4");
    CHECK_ERR("<a/ >", "'/' not followed by '>' in <a> at byte 2");
    CHECK_ERR("<!DOCTYPE a [<!ENTITY e 'x'>]><a/>", "DOCTYPE at byte 0 is not supported");
    CHECK_ERR("<a><!ELEMENT a ANY></a>", "unexpected markup '<!' at byte 3");
    CHECK_ERR("< a/>", "invalid character ' ' where an element name was expected at byte 1");
    CHECK_ERR("<1a/>", "invalid character '1' where an element name was expected at byte 1");
    CHECK_ERR("<a \x01='1'/>", "invalid byte 0x01 where an attribute name was expected at byte 3");

    /* NUL bytes and invalid UTF-8, wherever they are */
    char out[256];
    CHECK_INT(scan_all("<a>x\0y</a>", 10, out, sizeof out), IPL_EPARSE);
    CHECK_STR(diag.msg, "NUL byte at byte 4");
    CHECK_INT(scan_all("<a v='\0'/>", 10, out, sizeof out), IPL_EPARSE);
    CHECK_STR(diag.msg, "NUL byte at byte 6");
    CHECK_INT(scan_all("<a><!--\0--></a>", 15, out, sizeof out), IPL_EPARSE);
    CHECK_STR(diag.msg, "NUL byte at byte 7");
    CHECK_ERR("<a>\xC3(</a>", "invalid UTF-8 at byte 3");
    CHECK_ERR("<a>\xED\xA0\x80</a>", "invalid UTF-8 at byte 3");        /* a surrogate */
    CHECK_ERR("<a>\xC0\xAF</a>", "invalid UTF-8 at byte 3");            /* overlong */
    CHECK_ERR("<a>\xF4\x90\x80\x80</a>", "invalid UTF-8 at byte 3");    /* > U+10FFFF */
    CHECK_ERR("<a v='\xFF'/>", "invalid UTF-8 at byte 6");
    CHECK_ERR("<a\xC3/>", "invalid UTF-8 at byte 2");
    CHECK_ERR("<a><![CDATA[\xFE]]></a>", "invalid UTF-8 at byte 12");
    /* truncated multi-byte sequence at the end of the buffer */
    CHECK_INT(scan_all("<a>\xE2\x98", 5, out, sizeof out), IPL_EPARSE);
    CHECK_STR(diag.msg, "invalid UTF-8 at byte 3");
}

static void test_limits(void)
{
    char doc[8192], out[16384];
    size_t o = 0;
    for (int i = 0; i < IPL_XML_DEPTH_MAX; i++)
        o += (size_t)snprintf(doc + o, sizeof doc - o, "<a>");
    for (int i = 0; i < IPL_XML_DEPTH_MAX; i++)
        o += (size_t)snprintf(doc + o, sizeof doc - o, "</a>");
    CHECK_INT(scan(doc, out, sizeof out), IPL_OK);
    o = 0;
    for (int i = 0; i <= IPL_XML_DEPTH_MAX; i++)
        o += (size_t)snprintf(doc + o, sizeof doc - o, "<a>");
    CHECK_INT(scan(doc, out, sizeof out), IPL_EPARSE);
    CHECK_STR(diag.msg, "elements nested deeper than 32 at byte 96");

    o = (size_t)snprintf(doc, sizeof doc, "<a");
    for (int i = 0; i < IPL_XML_ATTR_MAX; i++)
        o += (size_t)snprintf(doc + o, sizeof doc - o, " a%d='%d'", i, i);
    snprintf(doc + o, sizeof doc - o, "/>");
    CHECK_INT(scan(doc, out, sizeof out), IPL_OK);
    o = (size_t)snprintf(doc, sizeof doc, "<a");
    for (int i = 0; i <= IPL_XML_ATTR_MAX; i++)
        o += (size_t)snprintf(doc + o, sizeof doc - o, " a%d='%d'", i, i);
    snprintf(doc + o, sizeof doc - o, "/>");
    CHECK_INT(scan(doc, out, sizeof out), IPL_EPARSE);
    CHECK_STR(diag.msg, "more than 32 attributes in <a> at byte 0");

    doc[0] = '<';
    memset(doc + 1, 'n', IPL_XML_NAME_MAX);
    snprintf(doc + 1 + IPL_XML_NAME_MAX, 8, "/>");
    CHECK_INT(scan(doc, out, sizeof out), IPL_OK);
    memset(doc + 1, 'n', IPL_XML_NAME_MAX + 1);
    snprintf(doc + 2 + IPL_XML_NAME_MAX, 8, "/>");
    CHECK_INT(scan(doc, out, sizeof out), IPL_EPARSE);
    CHECK_STR(diag.msg, "element name at byte 1 is longer than 256 bytes");
}

static void test_helpers(void)
{
    ipl_xml x;
    ipl_xml_token t;
    ipl_xml_str v;
    const char *doc = "<a><b k='1'><c/>x</b><d>text &amp; more</d><e/><f><g/></f></a>";
    ipl_xml_init(&x, doc, strlen(doc), 0, &arena);
    CHECK_INT(ipl_xml_next(&x, &t, &diag), IPL_OK);      /* <a> */
    CHECK_INT(ipl_xml_next(&x, &t, &diag), IPL_OK);      /* <b> */
    CHECK_INT(ipl_xml_skip(&x, &t, &diag), IPL_OK);
    CHECK_INT(ipl_xml_next(&x, &t, &diag), IPL_OK);      /* <d> */
    CHECK(str_eq(t.name, "d"));
    CHECK_INT(ipl_xml_leaf(&x, &t, &v, &diag), IPL_OK);
    CHECK(str_eq(v, "text & more"));
    CHECK_INT(ipl_xml_next(&x, &t, &diag), IPL_OK);      /* <e/> */
    CHECK_INT(ipl_xml_leaf(&x, &t, &v, &diag), IPL_OK);
    CHECK(str_eq(v, ""));
    CHECK_INT(ipl_xml_next(&x, &t, &diag), IPL_OK);      /* <f> */
    CHECK_INT(ipl_xml_leaf(&x, &t, &v, &diag), IPL_EPARSE);
    CHECK_STR(diag.msg, "element <f> at byte 47 holds a child element <g> at byte 50");

    ipl_xml_str n = {"e:Event", 7};
    CHECK(ipl_xml_local_is(n, "Event"));
    CHECK(!ipl_xml_local_is(n, "vent"));
    CHECK(!ipl_xml_local_is(n, "Events"));
    CHECK(ipl_xml_local_is((ipl_xml_str){"Event", 5}, "Event"));
    CHECK(ipl_xml_str_is((ipl_xml_str){"abc", 3}, "abc"));
    CHECK(!ipl_xml_str_is((ipl_xml_str){"abc", 3}, "ab"));

    CHECK_INT(ipl_utf8_check("abc", 3), 3);
    CHECK_INT(ipl_utf8_check("a\xC3\xA9z", 4), 4);
    CHECK_INT(ipl_utf8_check("ab\xC3", 3), 2);
    CHECK_INT(ipl_utf8_check("ab\0c", 4), 2);
    CHECK_INT(ipl_utf8_check("\xF8\x88\x80\x80\x80", 5), 0);
}

/* ---- framer ---- */

static void frames(const char *s, size_t len, size_t step, char *out, size_t outsz)
{
    ipl_xml_framer f;
    ipl_xml_framer_init(&f);
    size_t o = 0;
    out[0] = '\0';
    for (size_t pos = 0; pos < len;) {
        size_t n = len - pos < step ? len - pos : step, done = 0;
        while (done < n) {
            size_t used;
            ipl_xml_frame fr;
            ipl_xml_framer_feed(&f, s + pos + done, n - done, &used, &fr);
            done += used;
            static const char *const kinds[] = {"", "S", "E", "M", "T"};
            if (fr.kind != IPL_XML_FRAME_NONE)
                o += (size_t)snprintf(out + o, outsz - o, "%s%d:%s@%llu-%llu ", kinds[fr.kind],
                                      fr.depth, fr.name, (unsigned long long)fr.start,
                                      (unsigned long long)fr.end);
        }
        pos += n;
    }
}

static void test_framer(void)
{
    const char *doc = "<?xml version='1.0'?>\n<r a='>' b=\"/>\">x<!-- <y> --><e/><![CDATA[</r>]]>"
                      "<f></f></r> z";
    char whole[1024], piece[1024];
    size_t len = strlen(doc);
    frames(doc, len, len, whole, sizeof whole);
    CHECK_STR(whole, "S1:r@22-38 M2:e@51-55 S2:f@71-74 E2:f@74-78 E1:r@78-82 T0:@83-84 ");
    for (size_t step = 1; step < len; step++) {
        frames(doc, len, step, piece, sizeof piece);
        CHECK_STR(piece, whole);
    }
    /* an end tag with nothing open; long names are cut */
    frames("</x><aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa>", 46, 46, whole, sizeof whole);
    CHECK_STR(whole, "E0:x@0-4 S1:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa@4-46 ");

    ipl_xml_framer f;
    ipl_xml_framer_init(&f);
    CHECK(ipl_xml_framer_at_gap(&f));
    size_t used;
    ipl_xml_frame fr;
    ipl_xml_framer_feed(&f, "<a b='", 6, &used, &fr);
    CHECK_INT(used, 6);
    CHECK(ipl_xml_framer_in_markup(&f));
    CHECK(!ipl_xml_framer_at_gap(&f));
    ipl_xml_framer_feed(&f, "'>", 2, &used, &fr);
    CHECK_INT(fr.kind, IPL_XML_FRAME_START);
    CHECK(ipl_xml_framer_at_gap(&f));
    ipl_xml_framer_feed(&f, " t", 2, &used, &fr);
    CHECK(!ipl_xml_framer_at_gap(&f));
}

/* ---- record stream ---- */

typedef struct rec_log {
    int  n;
    char text[8][512];
    size_t base[8];
    int  fail_with;                 /* the callback's return code for records containing "BAD" */
} rec_log;

static int on_record(void *arg, const char *p, size_t n, size_t base, ipl_diag *d)
{
    rec_log *l = arg;
    if (l->n < 8) {
        snprintf(l->text[l->n], sizeof l->text[0], "%.*s", (int)n, p);
        l->base[l->n] = base;
    }
    l->n++;
    for (size_t i = 0; i + 3 <= n; i++)
        if (memcmp(p + i, "BAD", 3) == 0)
            return ipl_diag_set(d, l->fail_with, "bad record");
    return IPL_OK;
}

static ipl_xml_stream xs;
static rec_log lg;

static int sline(const char *s)
{
    ipl_diag_clear(&diag);
    return ipl_xml_stream_line(&xs, s, strlen(s), on_record, &lg, &diag);
}

static void stream_reset(size_t max)
{
    ipl_xml_stream_release(&xs);
    ipl_xml_stream_init(&xs, "Event", "Events", max);
    memset(&lg, 0, sizeof lg);
    lg.fail_with = IPL_EPARSE;
}

static void test_stream(void)
{
    stream_reset(1 << 20);
    /* one per line, in place */
    CHECK_INT(sline("<Event><a/></Event>"), IPL_OK);
    CHECK_INT(lg.n, 1);
    CHECK_STR(lg.text[0], "<Event><a/></Event>");
    CHECK_INT(lg.base[0], 0);
    CHECK(!ipl_xml_stream_pending(&xs));
    /* two per line, blanks and a CR around them */
    CHECK_INT(sline("  <Event>1</Event> <Event>2</Event>\r"), IPL_OK);
    CHECK_INT(lg.n, 3);
    CHECK_STR(lg.text[1], "<Event>1</Event>");
    CHECK_INT(lg.base[1], 2);
    CHECK_STR(lg.text[2], "<Event>2</Event>");
    CHECK_INT(lg.base[2], 19);

    /* a wevtutil document, pretty-printed, with a start tag split over lines */
    stream_reset(1 << 20);
    CHECK_INT(sline("\xEF\xBB\xBF<?xml version=\"1.0\" encoding=\"UTF-8\"?>"), IPL_OK);
    CHECK_INT(sline("<Events>"), IPL_OK);
    CHECK(!ipl_xml_stream_pending(&xs));
    CHECK_INT(sline("  <Event"), IPL_OK);
    CHECK(ipl_xml_stream_pending(&xs));
    CHECK_INT(sline("     xmlns='urn:x'>"), IPL_OK);
    CHECK(ipl_xml_stream_pending(&xs));
    CHECK_INT(sline("    <System>"), IPL_OK);
    CHECK_INT(sline("    </System>"), IPL_OK);
    CHECK_INT(lg.n, 0);
    CHECK_INT(sline("  </Event><Event>in place</Event>"), IPL_OK);
    CHECK_INT(lg.n, 2);
    CHECK_STR(lg.text[0], "<Event\n     xmlns='urn:x'>\n    <System>\n    </System>\n  </Event>");
    CHECK_INT(lg.base[0], 0);
    CHECK_STR(lg.text[1], "<Event>in place</Event>");
    CHECK_INT(sline("  <!-- a comment"), IPL_OK);
    CHECK(ipl_xml_stream_pending(&xs));
    CHECK_INT(sline("  over two lines -->"), IPL_OK);
    CHECK(!ipl_xml_stream_pending(&xs));
    CHECK_INT(sline("</Events>"), IPL_OK);
    CHECK_INT(ipl_xml_stream_finish(&xs, &diag), IPL_OK);

    /* Event Viewer's outline markers */
    stream_reset(1 << 20);
    CHECK_INT(sline("- <Event xmlns=\"urn:x\">"), IPL_OK);
    CHECK_INT(sline("- <System>"), IPL_OK);
    CHECK_INT(sline("  <EventID>4624</EventID> "), IPL_OK);
    CHECK_INT(sline("  </System>"), IPL_OK);
    CHECK_INT(sline("  </Event>"), IPL_OK);
    CHECK_INT(lg.n, 1);
    CHECK_STR(lg.text[0], "<Event xmlns=\"urn:x\">\n<System>\n  <EventID>4624</EventID> \n  </System>\n"
              "  </Event>");

    /* errors between records, and recovery */
    stream_reset(1 << 20);
    CHECK_INT(sline("garbage"), IPL_EPARSE);
    CHECK_STR(diag.msg, "text outside an <Event> element at byte 0");
    CHECK_INT(sline("more garbage"), IPL_EPARSE);                /* every such line */
    CHECK_INT(sline("<Other><x a='1'/></Other>"), IPL_EPARSE);
    CHECK_STR(diag.msg, "unexpected element <Other> at byte 0, expected <Event>");
    CHECK_INT(lg.n, 0);                                          /* skipped whole */
    CHECK(!ipl_xml_stream_pending(&xs));
    CHECK_INT(sline("<Event/>"), IPL_EPARSE);
    CHECK_STR(diag.msg, "empty <Event/> element at byte 0");
    CHECK_INT(sline("</Event>"), IPL_EPARSE);
    CHECK_STR(diag.msg, "end tag </Event> at byte 0 outside an <Event> element");
    CHECK_INT(sline("<Event>ok</Event>"), IPL_OK);
    CHECK_INT(lg.n, 1);
    CHECK_INT(sline("</Events>"), IPL_OK);                       /* a resumed document's end */
    /* a refused record: reported, the line goes on */
    CHECK_INT(sline("<Event>BAD</Event><Event>good</Event><Event>BAD2</Event>"), IPL_EPARSE);
    CHECK_STR(diag.msg, "bad record");
    CHECK_INT(lg.n, 4);
    /* a hard failure stops the callbacks for the line; framing goes on */
    lg.fail_with = IPL_ENOMEM;
    CHECK_INT(sline("<Event>BAD</Event><Event>not seen</Event>"), IPL_ENOMEM);
    CHECK_INT(lg.n, 5);
    CHECK_INT(sline("<Event>next line</Event>"), IPL_OK);
    CHECK_INT(lg.n, 6);
    /* a spanning record's error says where it started */
    lg.fail_with = IPL_EPARSE;
    CHECK_INT(sline("<Event>"), IPL_OK);
    CHECK_INT(sline("BAD"), IPL_OK);
    CHECK_INT(sline("</Event>"), IPL_EPARSE);
    CHECK_STR(diag.msg, "<Event> element started 2 lines above: bad record");

    /* resynchronisation: a broken attribute value or an unclosed record does not swallow the
     * records after it */
    memset(&lg, 0, sizeof lg);
    lg.fail_with = IPL_EPARSE;
    CHECK_INT(sline("<Event><Data Name=\"x>1</Data></Event> <Event>next</Event>"), IPL_EPARSE);
    CHECK_STR(diag.msg, "unterminated attribute value at byte 18: '<' at byte 22");
    CHECK(!ipl_xml_stream_pending(&xs));
    CHECK_INT(lg.n, 1);
    CHECK_STR(lg.text[0], "<Event>next</Event>");
    /* alone on its line, the same record goes whole to the callback (whose walker refuses it) */
    CHECK_INT(sline("<Event><Data Name=\"x>1</Data></Event>"), IPL_OK);
    CHECK_INT(lg.n, 2);
    lg.n = 1;
    CHECK_INT(sline("<Event><System>"), IPL_OK);
    CHECK_INT(sline("<Event a=\"x"), IPL_OK);                   /* a quote open at the line end */
    CHECK_INT(sline("<Event>after</Event>"), IPL_EPARSE);
    CHECK_STR(diag.msg, "<Event> element started 2 lines above: unterminated attribute value at "
              "byte 25: '<' at byte 28");
    CHECK_INT(lg.n, 2);
    CHECK_STR(lg.text[1], "<Event>after</Event>");
    CHECK_INT(sline("<Event><System>"), IPL_OK);
    CHECK_INT(sline("<Event><Inner/></Event>"), IPL_EPARSE);
    CHECK_STR(diag.msg, "<Event> element started 1 line above is not closed before the next "
              "<Event> at byte 0");
    CHECK_INT(lg.n, 3);
    CHECK_STR(lg.text[2], "<Event><Inner/></Event>");
    CHECK_INT(sline("<Other><Event>in a stray element</Event></Other>"), IPL_EPARSE);
    CHECK_STR(diag.msg, "unexpected element <Other> at byte 0, expected <Event>");
    CHECK_INT(lg.n, 4);
    CHECK(!ipl_xml_stream_pending(&xs));

    /* finish: half-read record, half-read tag */
    CHECK_INT(sline("<Event><System>"), IPL_OK);
    CHECK_INT(sline("x"), IPL_OK);
    CHECK_INT(ipl_xml_stream_finish(&xs, &diag), IPL_EPARSE);
    CHECK_STR(diag.msg, "end of input inside the <Event> element that started 1 line before the "
              "end (18 bytes read)");
    CHECK(!ipl_xml_stream_pending(&xs));
    CHECK_INT(sline("<Event a='"), IPL_OK);
    CHECK_INT(ipl_xml_stream_finish(&xs, &diag), IPL_EPARSE);
    CHECK_STR(diag.msg, "end of input inside a tag, comment or declaration");

    /* the size cap: reported once, the record skipped, the stream recovers */
    stream_reset(64);
    CHECK_INT(sline("<Event>"), IPL_OK);
    CHECK_INT(sline("0123456789012345678901234567890123456789"), IPL_OK);
    CHECK_INT(sline("0123456789012345678901234567890123456789"), IPL_EPARSE);
    CHECK_STR(diag.msg, "<Event> element started 2 lines above is longer than 64 bytes");
    CHECK(ipl_xml_stream_pending(&xs));
    CHECK_INT(sline("0123456789012345678901234567890123456789"), IPL_OK);
    CHECK_INT(sline("</Event>"), IPL_OK);
    CHECK_INT(lg.n, 0);
    CHECK(!ipl_xml_stream_pending(&xs));
    CHECK_INT(sline("<Event>fits</Event>"), IPL_OK);
    CHECK_INT(lg.n, 1);
    CHECK_INT(ipl_xml_stream_finish(&xs, &diag), IPL_OK);
    ipl_xml_stream_release(&xs);
    ipl_xml_stream_release(&xs);                                 /* idempotent */
    ipl_xml_stream_release(NULL);
}

/* ---- Windows events ---- */

static ipl_winevent wev;

static int wparse(const char *s)
{
    ipl_arena_clear(&arena);
    ipl_diag_clear(&diag);
    return ipl_winevent_parse(s, strlen(s), 0, &arena, &wev, &diag);
}

static void test_winevent(void)
{
    CHECK_INT(wparse("<Event xmlns=\"http://schemas.microsoft.com/win/2004/08/events/event\">"
                     "<System><Provider Name=\"P\" Guid=\"{G}\"/><EventID Qualifiers=\"0\">4624"
                     "</EventID><Version>2</Version><Level>0</Level><Task>12544</Task>"
                     "<Opcode>0</Opcode><Keywords>0x8020000000000000</Keywords>"
                     "<TimeCreated SystemTime=\"2024-05-01T06:15:40.1234567Z\"/>"
                     "<EventRecordID>8812345</EventRecordID><Correlation/>"
                     "<Execution ProcessID=\"716\" ThreadID=\"760\"/><Channel>Security</Channel>"
                     "<Computer>FS01</Computer><Security UserID=\"S-1-5-18\"/></System>"
                     "<EventData><Data Name=\"A\">1</Data><Data>pos</Data><Data Name='B'/>"
                     "<Binary>00FF</Binary></EventData>"
                     "<RenderingInfo Culture=\"en-US\"><Message>Hello &amp; bye</Message>"
                     "<Level>Information</Level></RenderingInfo></Event>\n"), IPL_OK);
    CHECK(str_eq(wev.provider, "P"));
    CHECK(str_eq(wev.provider_guid, "{G}"));
    CHECK(str_eq(wev.event_id, "4624"));
    CHECK(str_eq(wev.version, "2"));
    CHECK(str_eq(wev.level, "0"));
    CHECK(str_eq(wev.task, "12544"));
    CHECK(str_eq(wev.opcode, "0"));
    CHECK(str_eq(wev.keywords, "0x8020000000000000"));
    CHECK(str_eq(wev.system_time, "2024-05-01T06:15:40.1234567Z"));
    CHECK(str_eq(wev.record_id, "8812345"));
    CHECK(str_eq(wev.channel, "Security"));
    CHECK(str_eq(wev.computer, "FS01"));
    CHECK(str_eq(wev.user_sid, "S-1-5-18"));
    CHECK(str_eq(wev.message, "Hello & bye"));
    CHECK(str_eq(wev.binary, "00FF"));
    CHECK_INT(wev.ndata, 3);
    CHECK(str_eq(wev.data[0].name, "A") && str_eq(wev.data[0].value, "1"));
    CHECK(wev.data[1].name.n == 0 && str_eq(wev.data[1].value, "pos"));
    CHECK(str_eq(wev.data[2].name, "B") && wev.data[2].value.n == 0);
    CHECK(str_eq(*ipl_winevent_get(&wev, "A"), "1"));
    CHECK(ipl_winevent_get(&wev, "C") == NULL);

    /* pretty-printed, prefixed names, UserData flattened, unknown elements skipped */
    CHECK_INT(wparse("  <e:Event xmlns:e='urn:x'>\n <e:System>\n  <e:EventID>1102</e:EventID>\n"
                     " </e:System>\n <e:UserData><LogFileCleared xmlns='u'><SubjectUserName>bob"
                     "</SubjectUserName><Deep><X>1</X></Deep><Empty/></LogFileCleared></e:UserData>"
                     "<ProcessingErrorData><ErrorCode>15005</ErrorCode></ProcessingErrorData>"
                     "</e:Event>  \n"), IPL_OK);
    CHECK(str_eq(wev.event_id, "1102"));
    CHECK_INT(wev.ndata, 3);
    CHECK(str_eq(wev.data[0].name, "SubjectUserName") && str_eq(wev.data[0].value, "bob"));
    CHECK(str_eq(wev.data[1].name, "X") && str_eq(wev.data[1].value, "1"));
    CHECK(str_eq(wev.data[2].name, "Empty") && wev.data[2].value.n == 0);
    CHECK(wev.computer.p == NULL && wev.system_time.p == NULL);

    /* refusals */
    CHECK_INT(wparse(""), IPL_EPARSE);
    CHECK_STR(diag.msg, "no <Event> element");
    CHECK_INT(wparse("x<Event/>"), IPL_EPARSE);
    CHECK_STR(diag.msg, "text before the <Event> element at byte 0");
    CHECK_INT(wparse("<Evnt></Evnt>"), IPL_EPARSE);
    CHECK_STR(diag.msg, "root element <Evnt> at byte 0 is not <Event>");
    CHECK_INT(wparse("<Event/>"), IPL_EPARSE);
    CHECK_STR(diag.msg, "empty <Event/> element at byte 0");
    CHECK_INT(wparse("<Event>x</Event>"), IPL_EPARSE);
    CHECK_STR(diag.msg, "unexpected text inside <Event> at byte 7");
    CHECK_INT(wparse("<Event><System>x</System></Event>"), IPL_EPARSE);
    CHECK_STR(diag.msg, "unexpected text inside <System> at byte 15");
    CHECK_INT(wparse("<Event><EventData>x</EventData></Event>"), IPL_EPARSE);
    CHECK_STR(diag.msg, "unexpected text inside <EventData> at byte 18");
    CHECK_INT(wparse("<Event><EventData><Data Name='a'><b/></Data></EventData></Event>"), IPL_EPARSE);
    CHECK_STR(diag.msg, "element <Data> at byte 18 holds a child element <b> at byte 33");
    CHECK_INT(wparse("<Event><System><EventID>1</EventID><EventID>2</EventID></System></Event>"),
              IPL_EPARSE);
    CHECK_STR(diag.msg, "duplicate <EventID> at byte 35");
    CHECK_INT(wparse("<Event><System><Computer>a</Computer><Computer>b</Computer></System></Event>"),
              IPL_EPARSE);
    CHECK_STR(diag.msg, "duplicate <Computer> at byte 37");
    CHECK_INT(wparse("<Event><System><TimeCreated SystemTime='x'/><TimeCreated/></System></Event>"),
              IPL_EPARSE);
    CHECK_STR(diag.msg, "duplicate <TimeCreated> at byte 44");
    CHECK_INT(wparse("<Event></Event><Event></Event>"), IPL_EPARSE);
    CHECK_STR(diag.msg, "unexpected content after </Event> at byte 15");
    CHECK_INT(wparse("<Event><UserData><a>1<b>2</b></a></UserData></Event>"), IPL_EPARSE);
    CHECK_STR(diag.msg, "unexpected text inside <UserData> at byte 20");
    CHECK_INT(wparse("<Event><System><EventID>1</EventID>"), IPL_EPARSE);
    CHECK_STR(diag.msg, "unexpected end of input: <System> at byte 7 is not closed");

    /* the data cap */
    size_t cap = 64 + (IPL_WINEVENT_DATA_MAX + 1) * 16;
    char *big = malloc(cap);
    size_t o = (size_t)snprintf(big, cap, "<Event><EventData>");
    for (int i = 0; i <= IPL_WINEVENT_DATA_MAX; i++)
        o += (size_t)snprintf(big + o, cap - o, "<Data>%d</Data>", i % 10);
    snprintf(big + o, cap - o, "</EventData></Event>");
    CHECK_INT(wparse(big), IPL_EPARSE);
    CHECK_STR(diag.msg, "more than 256 data values in the event at byte 3602");
    free(big);
}

static void test_time(void)
{
    ipl_civil c;
    int has, off;
    CHECK(ipl_winevent_time("2024-05-01T06:15:40.1234567Z", 28, &c, &has, &off));
    CHECK_INT(c.year, 2024);
    CHECK_INT(c.mon, 5);
    CHECK_INT(c.day, 1);
    CHECK_INT(c.hour, 6);
    CHECK_INT(c.min, 15);
    CHECK_INT(c.sec, 40);
    CHECK_INT(c.usec, 123456);
    CHECK_INT(has, 1);
    CHECK_INT(off, 0);
    CHECK(ipl_winevent_time("2024-05-01T06:15:40.123456789Z", 30, &c, &has, &off));
    CHECK_INT(c.usec, 123456);
    CHECK(ipl_winevent_time("2024-05-01T06:15:40.5Z", 22, &c, &has, &off));
    CHECK_INT(c.usec, 500000);
    CHECK(ipl_winevent_time("2024-05-01 06:15:40", 19, &c, &has, &off));
    CHECK_INT(has, 0);
    CHECK_INT(c.usec, 0);
    CHECK(ipl_winevent_time("2021-03-31T12:03:46.974060+03:00", 32, &c, &has, &off));
    CHECK_INT(has, 1);
    CHECK_INT(off, 3 * 3600);
    CHECK_INT(c.usec, 974060);
    CHECK(ipl_winevent_time("2021-03-31T12:03:46-0530", 24, &c, &has, &off));
    CHECK_INT(off, -(5 * 3600 + 30 * 60));
    CHECK(ipl_winevent_time("2024-02-29T00:00:00Z", 20, &c, &has, &off));

    CHECK(!ipl_winevent_time("2024-05-01T06:15:40.1234567890Z", 31, &c, &has, &off));
    CHECK(!ipl_winevent_time("2024-05-01T06:15:40.Z", 21, &c, &has, &off));
    CHECK(!ipl_winevent_time("2023-02-29T00:00:00Z", 20, &c, &has, &off));
    CHECK(!ipl_winevent_time("2024-05-01T24:00:00Z", 20, &c, &has, &off));
    CHECK(!ipl_winevent_time("2024-05-01T06:60:00Z", 20, &c, &has, &off));
    CHECK(!ipl_winevent_time("2024-05-01T06:15", 16, &c, &has, &off));
    CHECK(!ipl_winevent_time("2024-05-01T06:15:40ZZ", 21, &c, &has, &off));
    CHECK(!ipl_winevent_time("2024-05-01T06:15:40+3", 21, &c, &has, &off));
    CHECK(!ipl_winevent_time("05/01/2024 06:15:40", 19, &c, &has, &off));
    CHECK(!ipl_winevent_time("2024-05-01x06:15:40", 19, &c, &has, &off));
    CHECK(!ipl_winevent_time("", 0, &c, &has, &off));
}

int main(void)
{
    ipl_arena_init(&arena, 0);
    RUN(test_tokens);
    RUN(test_decoding);
    RUN(test_errors);
    RUN(test_limits);
    RUN(test_helpers);
    RUN(test_framer);
    RUN(test_stream);
    RUN(test_winevent);
    RUN(test_time);
    ipl_xml_stream_release(&xs);
    ipl_arena_release(&arena);
    return check_summary();
}
