/* tests/unit/engine/store_threads_test.c — engine/store.c with two threads, as `ipledger serve`
 * uses it (a writer thread commits, the loop thread reads and sometimes commits itself), on a
 * store whose map starts at 64 KiB so it grows many times under the readers (the fault: map
 * growth while another thread has transactions open; LMDB allows mdb_env_set_mapsize only when
 * none is open). Checks: every event committed once, in order, each read decodes a whole event,
 * the map grew, and a thread that holds a read transaction and commits while the other thread
 * needs to grow the map does not deadlock (the grower backs off: store_int.h, the map gate).
 */
#define _XOPEN_SOURCE 700   /* nftw */
#include "tests/unit/check.h"

#include "engine/addr.h"
#include "engine/err.h"
#include "engine/store.h"

#include <ftw.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define T0 (INT64_C(1714551332) * 1000000)   /* 2024-05-01T08:15:32Z */
#define BATCHES 60
#define PER     300

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *f)
{
    (void)sb; (void)flag; (void)f;
    return remove(p);
}

typedef struct job {
    ipl_store *st;
    int first, batches, per;     /* events numbered first.. */
    int failures;
    atomic_int done;
} job;

/* Event n: a distinct address, MAC and host, so every one adds dictionary strings too. */
static int fill(ipl_batch *b, int n)
{
    char mac[16], host[32];
    ipl_event ev;
    ipl_event_reset(&ev);
    ev.ts = T0 + (int64_t)n * 1000000;
    ev.kind = IPL_K_LEASE_ASSIGN;
    ev.has_ip = 1;
    memset(ev.ip, 0, 16);
    ev.ip[10] = ev.ip[11] = 0xff;
    ev.ip[12] = 10;
    ev.ip[13] = (uint8_t)(n >> 16);
    ev.ip[14] = (uint8_t)(n >> 8);
    ev.ip[15] = (uint8_t)n;
    snprintf(mac, sizeof mac, "02%010x", (unsigned)n);
    snprintf(host, sizeof host, "host-%07d.example.com", n);
    ev.mac = mac;
    ev.host = host;
    ev.source = "threads";
    ev.line = (uint64_t)n;
    return ipl_batch_add(b, &ev, NULL);
}

static void *writer(void *arg)
{
    job *j = arg;
    ipl_batch *b = NULL;
    if (ipl_batch_new(&b)) {
        j->failures++;
        atomic_store(&j->done, 1);
        return NULL;
    }
    for (int i = 0; i < j->batches; i++) {
        for (int k = 0; k < j->per; k++)
            if (fill(b, j->first + i * j->per + k))
                j->failures++;
        ipl_diag d = {0};
        if (ipl_store_commit(j->st, b, NULL, &d)) {
            fprintf(stderr, "  writer commit: %s\n", d.msg);
            j->failures++;
        }
        ipl_batch_clear(b);
    }
    ipl_batch_free(b);
    atomic_store(&j->done, 1);
    return NULL;
}

static ipl_store *open_tiny(char dir[64])
{
    ipl_store *st = NULL;
    ipl_diag d = {0};
    snprintf(dir, 64, "/tmp/ipl-threads-test-XXXXXX");
    if (!mkdtemp(dir))
        return NULL;
    setenv("IPLEDGER_MAP_SIZE", "65536", 1);
    if (ipl_store_open(&st, dir, IPL_STORE_CREATE, &d))
        fprintf(stderr, "  open: %s\n", d.msg);
    unsetenv("IPLEDGER_MAP_SIZE");
    return st;
}

static uint64_t map_size(ipl_store *st)
{
    ipl_rtxn *t;
    ipl_store_stats ss;
    memset(&ss, 0, sizeof ss);
    if (ipl_rtxn_begin(st, &t, NULL) == IPL_OK) {
        ipl_store_stats_get(t, &ss, NULL);
        ipl_rtxn_end(t);
    }
    return ss.map_size;
}

/* Reads while the writer thread commits and grows the map: each read sees a prefix of the log
 * and decodes its last event whole. */
static void test_reads_during_growth(void)
{
    char dir[64];
    ipl_store *st = open_tiny(dir);
    CHECK(st != NULL);
    if (!st)
        return;
    uint64_t map0 = map_size(st);
    job j = {st, 1, BATCHES, PER, 0, 0};
    pthread_t thr;
    CHECK_INT(pthread_create(&thr, NULL, writer, &j), 0);
    uint64_t reads = 0, bad = 0, last_seen = 0, backwards = 0;
    while (!atomic_load(&j.done)) {
        ipl_rtxn *t;
        if (ipl_rtxn_begin(st, &t, NULL)) {
            bad++;
            continue;
        }
        uint64_t last = ipl_store_last_seq(t);
        if (last < last_seen)
            backwards++;
        last_seen = last;
        if (last) {
            ipl_event ev;
            char want[32];
            snprintf(want, sizeof want, "host-%07d.example.com", (int)last);
            if (ipl_store_get(t, last, &ev, NULL) || !ev.host || strcmp(ev.host, want) ||
                ev.line != last)
                bad++;
        }
        CHECK_INT(ipl_store_thread_txns(), 1);
        ipl_rtxn_end(t);
        reads++;
    }
    pthread_join(thr, NULL);
    CHECK_INT(j.failures, 0);
    CHECK_INT(bad, 0);
    CHECK_INT(backwards, 0);
    CHECK(reads > 0);
    CHECK_INT(ipl_store_thread_txns(), 0);
    ipl_rtxn *t;
    CHECK_INT(ipl_rtxn_begin(st, &t, NULL), IPL_OK);
    CHECK_INT(ipl_store_last_seq(t), BATCHES * PER);
    ipl_event ev;
    CHECK_INT(ipl_store_get(t, 1, &ev, NULL), IPL_OK);
    CHECK_STR(ev.host, "host-0000001.example.com");
    ipl_rtxn_end(t);
    CHECK(map_size(st) > map0);
    ipl_store_close(st);
    nftw(dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
}

/* This thread commits while it holds a read transaction, and the writer thread commits too; both
 * need the map to grow. Without the back-off the writer would hold the writer lock waiting for
 * this thread's read to end while this thread waits for the writer lock. */
static void test_commit_holding_reads(void)
{
    char dir[64];
    ipl_store *st = open_tiny(dir);
    CHECK(st != NULL);
    if (!st)
        return;
    job j = {st, 1, BATCHES, PER, 0, 0};
    pthread_t thr;
    CHECK_INT(pthread_create(&thr, NULL, writer, &j), 0);
    ipl_batch *b = NULL;
    CHECK_INT(ipl_batch_new(&b), IPL_OK);
    int mine = 0, failures = 0;
    for (int i = 0; i < 40; i++) {
        ipl_rtxn *t;
        if (ipl_rtxn_begin(st, &t, NULL)) {
            failures++;
            continue;
        }
        for (int k = 0; k < 200; k++)
            failures += fill(b, 1000000 + mine++) != IPL_OK;
        ipl_diag d = {0};
        if (ipl_store_commit(st, b, NULL, &d)) {
            fprintf(stderr, "  commit holding a read: %s\n", d.msg);
            failures++;
        }
        ipl_batch_clear(b);
        ipl_rtxn_end(t);
    }
    pthread_join(thr, NULL);
    ipl_batch_free(b);
    CHECK_INT(failures, 0);
    CHECK_INT(j.failures, 0);
    ipl_rtxn *t;
    CHECK_INT(ipl_rtxn_begin(st, &t, NULL), IPL_OK);
    CHECK_INT(ipl_store_last_seq(t), BATCHES * PER + 40 * 200);
    ipl_store_stats ss;
    CHECK_INT(ipl_store_stats_get(t, &ss, NULL), IPL_OK);
    CHECK_INT(ss.events, BATCHES * PER + 40 * 200);
    ipl_rtxn_end(t);
    ipl_store_close(st);
    nftw(dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
}

int main(void)
{
    RUN(test_reads_during_growth);
    RUN(test_commit_holding_reads);
    return check_summary();
}
