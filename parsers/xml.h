/* parsers/xml.h — a small, bounded, non-validating XML pull scanner for event XML (Windows event
 * log renderings, NPS DTS records), a framer that finds element boundaries in a byte stream fed in
 * pieces (multi-line documents), and a walker that reads one Windows <Event> element.
 *
 * Scanner (ipl_xml): one buffer in, tokens out: OPEN (start tag or empty-element tag, with its
 * attributes), CLOSE (end tag; also produced right after the OPEN of an empty-element tag <x/>),
 * TEXT (character data between two tags: entities and character references decoded to UTF-8,
 * CDATA sections included, comments and processing instructions removed), EOF. What it checks:
 * tags nest and match (names compared as written, prefixes kept: "e:Event" != "Event"), names
 * are well formed, attribute values are quoted with ' or " and hold no '<', no duplicate
 * attributes, entities are the five predefined ones or numeric references to XML characters,
 * comments/CDATA/PIs/tags are terminated, no NUL byte, valid UTF-8 everywhere. DOCTYPE is refused
 * (no entity definitions, so no expansion attacks). A UTF-8 byte-order mark at the start is
 * skipped. What it does not check: document-level rules (one root, text outside it: the caller
 * decides), namespaces, attribute-value whitespace normalisation (values are returned as written,
 * decoded), "--" inside comments, "]]>" in text.
 *
 * Limits: nesting depth IPL_XML_DEPTH_MAX, attributes per tag IPL_XML_ATTR_MAX, names
 * IPL_XML_NAME_MAX bytes; the buffer itself is bounded by the caller. Past a limit: an error.
 * Errors are IPL_EPARSE with a message naming the byte offset ("unterminated attribute value at
 * byte 123"); offsets are counted from the start of the buffer plus `base` (ipl_xml_init), so a
 * caller scanning a slice of a line can report line offsets.
 *
 * Strings (ipl_xml_str) are not NUL-terminated. They point into the buffer when the text needs no
 * decoding (the common case, zero copy), otherwise into one scratch area allocated from the arena
 * at the first need (the buffer's length: decoded text is never longer than its source). All stay
 * valid until the buffer and the arena go away, so a caller can collect fields and build its
 * event afterwards. The scanner allocates nothing else; it lives on the stack.
 *
 * Framer (ipl_xml_framer): fed any split of a byte stream (lines), it reports where start tags,
 * end tags and empty-element tags end and at which depth, and where non-blank text appears at
 * depth 0. It tracks quotes, comments, CDATA and PIs so a '>' inside them is not taken for a tag
 * end, but validates nothing: the scanner does that on the extracted element.
 *
 * Record stream (ipl_xml_stream): framer + accumulation for line-fed input, see below.
 *
 * Windows events (ipl_winevent_parse): one <Event> element (the schema of
 * http://schemas.microsoft.com/win/2004/08/events/event; element names matched on their local
 * part, so a prefix is accepted) -> System fields, the EventData <Data Name="..."> pairs in order
 * (Name empty for positional <Data>), UserData leaf elements as (local name, text) pairs, and the
 * RenderingInfo <Message>. Unknown elements are skipped; text directly inside Event, System,
 * EventData or UserData, a child element inside a <Data>, a duplicate EventID/TimeCreated/Computer,
 * and anything but blanks around the <Event> element are errors.
 */
#ifndef IPL_PARSERS_XML_H
#define IPL_PARSERS_XML_H

#include <stddef.h>
#include <stdint.h>

#include "engine/arena.h"
#include "engine/diag.h"
#include "engine/tz.h"

#define IPL_XML_DEPTH_MAX 32     /* element nesting */
#define IPL_XML_ATTR_MAX  32     /* attributes per tag */
#define IPL_XML_NAME_MAX  256    /* bytes in an element or attribute name */

typedef struct ipl_xml_str {
    const char *p;
    size_t      n;
} ipl_xml_str;

enum ipl_xml_tok {
    IPL_XML_EOF = 0,             /* end of the buffer (only with every element closed) */
    IPL_XML_OPEN,                /* <name attr="v"...> or <name .../> */
    IPL_XML_CLOSE,               /* </name>, or the end of <name/> */
    IPL_XML_TEXT                 /* character data */
};

typedef struct ipl_xml_attr {
    ipl_xml_str name;            /* as written, prefix kept */
    ipl_xml_str value;           /* decoded */
} ipl_xml_attr;

typedef struct ipl_xml_token {
    int                 type;    /* enum ipl_xml_tok */
    ipl_xml_str         name;    /* OPEN, CLOSE: the element name as written */
    ipl_xml_str         text;    /* TEXT: decoded character data */
    const ipl_xml_attr *attr;    /* OPEN: attributes (valid until the next call) */
    size_t              nattr;
    int                 empty;   /* OPEN: an empty-element tag <x/> (its CLOSE comes next) */
    int                 blank;   /* TEXT: only spaces, tabs, CR and LF */
    int                 depth;   /* OPEN, CLOSE: the element's depth (root = 1);
                                    TEXT: the depth of the enclosing element (0 outside) */
    size_t              offset;  /* byte offset of the token (base included) */
} ipl_xml_token;

typedef struct ipl_xml_open {
    ipl_xml_str name;
    size_t      offset;
} ipl_xml_open;

/* The scanner's state; transparent so it can live on the stack, but touch it only through the
 * functions below. */
typedef struct ipl_xml {
    const char  *buf;
    size_t       len, pos, base;
    ipl_arena   *arena;
    char        *scratch;        /* decoded strings; allocated once, len bytes */
    size_t       sused;
    int          depth;
    int          close_pending;  /* an empty-element tag was returned: its CLOSE is next */
    ipl_xml_open stack[IPL_XML_DEPTH_MAX];
    ipl_xml_attr attr[IPL_XML_ATTR_MAX];
} ipl_xml;

/* Starts scanning buf[0..len) (borrowed; it must outlive every string returned). `base` is added
 * to the offsets in tokens and messages. `arena` (borrowed) supplies the scratch area when some
 * text needs decoding; the scratch lives as long as the arena's current contents. */
void ipl_xml_init(ipl_xml *x, const char *buf, size_t len, size_t base, ipl_arena *arena);
/* The next token into *t. Returns IPL_OK, IPL_EPARSE (malformed; d says where and why) or
 * IPL_ENOMEM (no scratch). After an error the scanner must not be used again. */
int ipl_xml_next(ipl_xml *x, ipl_xml_token *t, ipl_diag *d);
/* After an OPEN token: consumes everything up to and including its CLOSE. */
int ipl_xml_skip(ipl_xml *x, const ipl_xml_token *open, ipl_diag *d);
/* After an OPEN token: reads a text-only element to its CLOSE; *text receives its character data
 * (empty for <x/> or <x></x>). A child element is an error naming the element. */
int ipl_xml_leaf(ipl_xml *x, const ipl_xml_token *open, ipl_xml_str *text, ipl_diag *d);

/* The attribute of an OPEN token whose local name (after any prefix) is `local`, or NULL. */
const ipl_xml_str *ipl_xml_attr_get(const ipl_xml_token *t, const char *local);
/* 1 if the local part of `name` (after the last ':') equals `local`. */
int ipl_xml_local_is(ipl_xml_str name, const char *local);
/* 1 if s equals the NUL-terminated literal exactly. */
int ipl_xml_str_is(ipl_xml_str s, const char *lit);

/* ---- framer ---------------------------------------------------------------------------- */

enum ipl_xml_frame_kind {
    IPL_XML_FRAME_NONE = 0,      /* the whole piece was consumed, nothing to report */
    IPL_XML_FRAME_START,         /* a start tag ended: an element is open */
    IPL_XML_FRAME_END,           /* an end tag ended: an element is closed */
    IPL_XML_FRAME_EMPTY,         /* an empty-element tag <x/> ended */
    IPL_XML_FRAME_TEXT,          /* the first non-blank byte of a text run at depth 0 */
    IPL_XML_FRAME_BROKEN         /* a '<' inside a quoted attribute value: `start` is the
                                    opening quote, `end` the '<', which the framer takes as the
                                    start of the next tag (depth unchanged) */
};

#define IPL_XML_FRAME_NAME 32    /* bytes of the tag name kept for the caller */

typedef struct ipl_xml_frame {
    int      kind;               /* enum ipl_xml_frame_kind */
    int      depth;              /* START, END, EMPTY: the element's depth (root = 1). END at
                                    depth 0: an end tag with no open element */
    uint64_t start;              /* stream offset of the tag's '<' (TEXT: of the byte) */
    uint64_t end;                /* stream offset just past the tag's '>' (TEXT: past the byte) */
    char     name[IPL_XML_FRAME_NAME + 1];  /* the name cut to IPL_XML_FRAME_NAME bytes, NUL-ended */
    size_t   name_len;           /* the name's full length */
} ipl_xml_frame;

typedef struct ipl_xml_framer {
    uint64_t off;                /* bytes fed so far */
    uint64_t tag_start, quote_start;
    int      state, depth, end_tag, slash, text_reported, gap;
    char     quote;
    int      match;              /* progress through "--", "[CDATA[", "-->", "]]>", "?>" */
    char     name[IPL_XML_FRAME_NAME + 1];
    size_t   name_len;
} ipl_xml_framer;

void ipl_xml_framer_init(ipl_xml_framer *f);
/* Consumes p[0..n) up to and including the first byte that completes a boundary; *used receives
 * the bytes consumed and *fr what was found (kind NONE when all n bytes went without one). Call
 * again with the rest. Never fails. */
void ipl_xml_framer_feed(ipl_xml_framer *f, const char *p, size_t n, size_t *used,
                         ipl_xml_frame *fr);
/* 1 when the stream is between markup and every byte since the last '>' (or the start) is blank:
 * a good place for a line prefix to be dropped or for a record to end. */
int ipl_xml_framer_at_gap(const ipl_xml_framer *f);
/* 1 when inside markup (a tag, comment, CDATA section, PI or declaration). */
int ipl_xml_framer_in_markup(const ipl_xml_framer *f);
/* Sets the depth (to resynchronise after a broken record). */
void ipl_xml_framer_set_depth(ipl_xml_framer *f, int depth);

/* ---- record stream --------------------------------------------------------------------- */

/* Cuts a line-framed XML stream into top-level records: every `elem` element at depth 1, or at
 * depth 2 inside one `wrapper` element (wevtutil's <Events> document), whatever the line breaks:
 * one record per line, several per line, or one record over many lines (pretty-printed). A record
 * inside one line is handed over in place (zero copy); one that spans lines is accumulated in an
 * owned buffer of at most `max` bytes (lines joined with LF). Between records only blanks,
 * comments, PIs, the XML declaration and the wrapper's tags may appear; anything else is an error,
 * and a stray top-level element is skipped to its end. At a point between markup, a UTF-8 BOM and
 * Event Viewer's "- " / "+ " outline markers before a '<' are dropped. A line that holds exactly
 * one record ("<elem ...>...</elem>", no other <elem, </elem, <! or <? inside) skips the framer.
 *
 * Errors: a line returns the first error met on it (its other records are still handed over);
 * a record over `max` bytes is reported once and skipped to its end. Broken records do not swallow
 * the records after them: a '<' inside an attribute value ends the record with an error, and a
 * new start tag named `elem` inside a record reports the open record as unclosed and starts over.
 * The callback returns IPL_OK, IPL_EPARSE (the record is refused: reported, the line goes on) or
 * any other code (stops the callbacks for the rest of the line; the line still advances the
 * framing). Messages about a record that spans lines are prefixed with where it started. */
typedef int (*ipl_xml_record_fn)(void *arg, const char *p, size_t n, size_t base, ipl_diag *d);

typedef struct ipl_xml_stream {
    ipl_xml_framer fr;
    const char *elem, *wrapper;  /* local names, borrowed ("Event", "Events"); wrapper may be NULL */
    size_t      max;             /* bytes of an accumulated record */
    char       *buf;             /* owned: the record (or a tag) being accumulated */
    size_t      len, cap;
    uint64_t    buf_off;         /* stream offset of buf[0] */
    uint64_t    line_no, elem_line;
    int         in_elem, elem_depth, accumulating, skipping, wrapper_open;
} ipl_xml_stream;

void ipl_xml_stream_init(ipl_xml_stream *s, const char *elem, const char *wrapper, size_t max);
/* 1 (default): interior lines of a record being accumulated skip the framer when they cannot end
 * it (see interior_line in xml.c); 0: every line is framed. Results are identical either way
 * (tests/fuzz/fuzz_xml.c compares the two); the switch exists for that check. */
extern int ipl_xml_interior_fast;
void ipl_xml_stream_release(ipl_xml_stream *s);     /* frees the buffer; NULL-safe */
/* One line (without its LF; trailing CRs are dropped). */
int  ipl_xml_stream_line(ipl_xml_stream *s, const char *line, size_t n, ipl_xml_record_fn fn,
                         void *arg, ipl_diag *d);
/* 1 while a record (or a tag) is half read. */
int  ipl_xml_stream_pending(const ipl_xml_stream *s);
/* End of input: an error if a record is half read; the stream is reset either way. */
int  ipl_xml_stream_finish(ipl_xml_stream *s, ipl_diag *d);

/* Offset of the first byte of s[0..n) that is not part of well-formed UTF-8 (or a NUL byte), or n
 * when there is none. */
size_t ipl_utf8_check(const char *s, size_t n);

/* ---- Windows events -------------------------------------------------------------------- */

#define IPL_WINEVENT_DATA_MAX 256   /* EventData/UserData values per event */

typedef struct ipl_winevent_data {
    ipl_xml_str name;            /* <Data Name="...">; empty for positional <Data> */
    ipl_xml_str value;
} ipl_winevent_data;

/* Fields are {NULL, 0} when absent. */
typedef struct ipl_winevent {
    ipl_xml_str provider;        /* Provider/@Name */
    ipl_xml_str provider_guid;   /* Provider/@Guid */
    ipl_xml_str event_id;        /* EventID text */
    ipl_xml_str version, level, task, opcode, keywords;
    ipl_xml_str system_time;     /* TimeCreated/@SystemTime */
    ipl_xml_str record_id;       /* EventRecordID */
    ipl_xml_str channel, computer;
    ipl_xml_str user_sid;        /* Security/@UserID */
    ipl_xml_str message;         /* RenderingInfo/Message */
    ipl_xml_str binary;          /* EventData/Binary */
    size_t      ndata;
    ipl_winevent_data data[IPL_WINEVENT_DATA_MAX];
} ipl_winevent;

/* Reads the one <Event> element in buf[0..len) (blanks around it allowed) into *ev. `base` and
 * `arena` as for ipl_xml_init. Returns IPL_OK, IPL_EPARSE or IPL_ENOMEM. */
int ipl_winevent_parse(const char *buf, size_t len, size_t base, ipl_arena *arena,
                       ipl_winevent *ev, ipl_diag *d);
/* The value of the first data pair named `name` (exact), or NULL. */
const ipl_xml_str *ipl_winevent_get(const ipl_winevent *ev, const char *name);

/* Timestamp text of event renderings: YYYY-MM-DD('T'|' ')HH:MM:SS[.f{1,9}][Z|(+|-)HH[:]MM].
 * Fills *c (fraction cut to microseconds) and *has_offset; *offset_s is the offset east of UTC
 * (0 for Z). Returns 1 if well formed and the date and time exist, else 0. */
int ipl_winevent_time(const char *s, size_t n, ipl_civil *c, int *has_offset, int *offset_s);

#endif
