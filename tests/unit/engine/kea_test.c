/* tests/unit/engine/kea_test.c — engine/msm/kea.c and kea_manage.c without a real Kea:
 * reply framing and parsing (malformed, wrong shape, refused, HTTP), the client against forked
 * fake servers on UNIX sockets (split reply without close, garbage, silence -> timeout, closed
 * without a reply), the JSON edits with their validation errors, the diff, and the change flow
 * against a fake Kea whose config-write fails (the old config must be set back, the change
 * recorded as failed, the last known config unchanged). */
#include "tests/unit/check.h"

#include "engine/err.h"
#include "engine/msm/kea.h"
#include "engine/msm/kea_manage.h"
#include "engine/store.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char dir[256];

/* ---- framing and parsing ---- */

static void test_json_complete(void)
{
    CHECK_INT(ipl_kea_json_complete("", 0), 0);
    CHECK_INT(ipl_kea_json_complete("  {\"a\": 1", 9), 0);
    const char *s = "{\"text\": \"a } in a string\", \"x\": [1, {\"y\": 2}]}";
    CHECK_INT(ipl_kea_json_complete(s, strlen(s)), 1);
    CHECK_INT(ipl_kea_json_complete(s, strlen(s) - 1), 0);
    const char *esc = "{\"t\": \"quote \\\" } still string\"";
    CHECK_INT(ipl_kea_json_complete(esc, strlen(esc)), 0);
    CHECK_INT(ipl_kea_json_complete("garbage", 7), 1);   /* not JSON: let the parser say so */
}

static void test_parse_reply(void)
{
    cJSON *r = NULL;
    ipl_diag d = {0};
    const char *ok = "{\"result\": 0, \"arguments\": {\"Dhcp4\": {}}}";
    CHECK_INT(ipl_kea_parse_reply("unix:/s", "config-get", ok, strlen(ok), 0, &r, &d), IPL_OK);
    CHECK(cJSON_GetObjectItem(r, "arguments") != NULL);
    cJSON_Delete(r);

    const char *bad = "<html>oops</html>";
    CHECK_INT(ipl_kea_parse_reply("unix:/s", "config-get", bad, strlen(bad), 0, &r, &d),
              IPL_EPARSE);
    CHECK(r == NULL);
    CHECK(strstr(d.msg, "unix:/s") && strstr(d.msg, "malformed reply") && strstr(d.msg, "<html>"));

    const char *trail = "{\"result\": 0} trailing";
    CHECK_INT(ipl_kea_parse_reply("unix:/s", "status-get", trail, strlen(trail), 0, &r, &d),
              IPL_EPARSE);
    CHECK(strstr(d.msg, "data after the JSON") != NULL);

    const char *shape = "{\"status\": \"fine\"}";
    CHECK_INT(ipl_kea_parse_reply("unix:/s", "status-get", shape, strlen(shape), 0, &r, &d),
              IPL_ECORRUPT);
    CHECK(strstr(d.msg, "wrong shape") && strstr(d.msg, "result"));

    const char *arr = "[{\"result\": 0}]";
    CHECK_INT(ipl_kea_parse_reply("unix:/s", "x", arr, strlen(arr), 0, &r, &d), IPL_ECORRUPT);
    CHECK_INT(ipl_kea_parse_reply("http://h:8000/", "x", arr, strlen(arr), 1, &r, &d), IPL_OK);
    cJSON_Delete(r);
    CHECK_INT(ipl_kea_parse_reply("http://h:8000/", "x", "[]", 2, 1, &r, &d), IPL_ECORRUPT);

    const char *refused = "{\"result\": 1, \"text\": \"subnet overlaps\"}";
    CHECK_INT(ipl_kea_parse_reply("unix:/s", "config-test", refused, strlen(refused), 0, &r, &d),
              IPL_EDENIED);
    CHECK(strstr(d.msg, "refused 'config-test' (result 1): subnet overlaps") != NULL);

    const char *badtext = "{\"result\": 0, \"text\": 5}";
    CHECK_INT(ipl_kea_parse_reply("unix:/s", "x", badtext, strlen(badtext), 0, &r, &d),
              IPL_ECORRUPT);
    CHECK_INT(ipl_kea_parse_reply("unix:/s", "x", "", 0, 0, &r, &d), IPL_EPARSE);
}

static void test_http_split(void)
{
    int st = 0;
    const char *body = NULL;
    size_t bl = 0;
    const char *full = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 15"
                       "\r\n\r\n[{\"result\": 0}]";
    CHECK_INT(ipl_kea_http_split(full, strlen(full), 0, &st, &body, &bl), IPL_OK);
    CHECK_INT(st, 200);
    CHECK_INT(bl, 15);
    CHECK(memcmp(body, "[{\"result\": 0}]", 15) == 0);
    CHECK_INT(ipl_kea_http_split(full, strlen(full) - 3, 0, &st, &body, &bl), IPL_ENOTFOUND);
    CHECK_INT(ipl_kea_http_split(full, strlen(full) - 3, 1, &st, &body, &bl), IPL_EPARSE);
    const char *noclen = "HTTP/1.0 500 Err\r\n\r\n{}";
    CHECK_INT(ipl_kea_http_split(noclen, strlen(noclen), 0, &st, &body, &bl), IPL_ENOTFOUND);
    CHECK_INT(ipl_kea_http_split(noclen, strlen(noclen), 1, &st, &body, &bl), IPL_OK);
    CHECK_INT(st, 500);
    const char *junk = "SSH-2.0-OpenSSH\r\n\r\n";
    CHECK_INT(ipl_kea_http_split(junk, strlen(junk), 0, &st, &body, &bl), IPL_EPARSE);
    const char *chunked = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n";
    CHECK_INT(ipl_kea_http_split(chunked, strlen(chunked), 0, &st, &body, &bl), IPL_EPARSE);
}

static void test_endpoints(void)
{
    ipl_diag d = {0};
    CHECK_INT(ipl_kea_endpoint_check("unix:/run/kea/kea4-ctrl-socket", &d), IPL_OK);
    CHECK_INT(ipl_kea_endpoint_check("http://127.0.0.1:8000/", &d), IPL_OK);
    CHECK_INT(ipl_kea_endpoint_check("http://[::1]:8000", &d), IPL_OK);
    CHECK_INT(ipl_kea_endpoint_check("unix:", &d), IPL_EINVAL);
    CHECK_INT(ipl_kea_endpoint_check("ftp://x/", &d), IPL_EINVAL);
    CHECK_INT(ipl_kea_endpoint_check("http://h:99999/", &d), IPL_EINVAL);
    CHECK(strstr(d.msg, "bad port") != NULL);
    char longp[300];
    memset(longp, 'a', sizeof longp);
    memcpy(longp, "unix:/", 6);
    longp[sizeof longp - 1] = '\0';
    CHECK_INT(ipl_kea_endpoint_check(longp, &d), IPL_EINVAL);
}

/* ---- fake servers on a UNIX socket (forked) ---- */

typedef enum { FAKE_SPLIT_NO_CLOSE, FAKE_GARBAGE, FAKE_SILENT, FAKE_CLOSE, FAKE_KEA } fake_mode;

static int listen_unix(const char *path)
{
    struct sockaddr_un un;
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    memset(&un, 0, sizeof un);
    un.sun_family = AF_UNIX;
    snprintf(un.sun_path, sizeof un.sun_path, "%s", path);
    unlink(path);
    if (fd < 0 || bind(fd, (struct sockaddr *)&un, sizeof un) || listen(fd, 8))
        return -1;
    return fd;
}

static void write_all(int fd, const char *s, size_t n)
{
    while (n) {
        ssize_t w = write(fd, s, n);
        if (w <= 0)
            return;
        s += w;
        n -= (size_t)w;
    }
}

/* Reads one complete JSON command (or until EOF); returns owned text. */
static char *read_cmd(int c)
{
    size_t cap = 16u << 20, len = 0;
    char *buf = malloc(cap + 1);
    while (buf && len < cap) {
        ssize_t r = read(c, buf + len, cap - len);
        if (r <= 0)
            break;
        len += (size_t)r;
        if (ipl_kea_json_complete(buf, len))
            break;
    }
    if (buf)
        buf[len] = '\0';
    return buf;
}

/* A tiny Kea: config-get/test/set/write over a config kept in memory; config-write fails when
 * fail_write. Serves until killed. */
static void fake_kea(int lfd, int fail_write, int big)
{
    cJSON *cfg = cJSON_Parse("{\"Dhcp4\": {\"valid-lifetime\": 3600, \"subnet4\": ["
                             "{\"id\": 1, \"subnet\": \"10.1.0.0/24\", \"pools\": [{\"pool\": "
                             "\"10.1.0.10-10.1.0.20\"}], \"option-data\": []}]}}");
    /* big: 6000 more subnets with a 300-byte note each (~2.5 MB: the last known config takes
     * several kv parts, the diff runs over thousands of subnets) */
    cJSON *arr = cJSON_GetObjectItem(cJSON_GetObjectItem(cfg, "Dhcp4"), "subnet4");
    char note[301], pfx[32];
    memset(note, 'n', 300);
    note[300] = '\0';
    for (int i = 0; big && i < 6000; i++) {
        cJSON *sn = cJSON_CreateObject();
        snprintf(pfx, sizeof pfx, "10.%d.%d.0/24", 100 + i / 250, i % 250);
        cJSON_AddNumberToObject(sn, "id", 1000 + i);
        cJSON_AddStringToObject(sn, "subnet", pfx);
        cJSON_AddItemToObject(sn, "user-context", cJSON_CreateObject());
        cJSON_AddStringToObject(cJSON_GetObjectItem(sn, "user-context"), "note", note);
        cJSON_AddItemToArray(arr, sn);
    }
    for (;;) {
        int c = accept(lfd, NULL, NULL);
        if (c < 0)
            continue;
        char *req = read_cmd(c);
        cJSON *j = req ? cJSON_Parse(req) : NULL, *ans = cJSON_CreateObject();
        const char *cmd = cJSON_GetStringValue(cJSON_GetObjectItem(j, "command"));
        cJSON *args = cJSON_GetObjectItem(j, "arguments");
        int result = 0;
        const char *text = NULL;
        if (cmd && !strcmp(cmd, "config-get")) {
            cJSON_AddItemToObject(ans, "arguments", cJSON_Duplicate(cfg, 1));
        } else if (cmd && !strcmp(cmd, "config-test")) {
            text = "configuration seems sane";
        } else if (cmd && !strcmp(cmd, "config-set") && args) {
            cJSON_Delete(cfg);
            cfg = cJSON_Duplicate(args, 1);
        } else if (cmd && !strcmp(cmd, "config-write")) {
            if (fail_write) {
                result = 1;
                text = "Unable to open file /etc/kea/kea-dhcp4.conf for writing";
            }
        } else {
            result = 2;
            text = "command not supported";
        }
        cJSON_AddNumberToObject(ans, "result", result);
        if (text)
            cJSON_AddStringToObject(ans, "text", text);
        char *out = cJSON_PrintUnformatted(ans);
        write_all(c, out, strlen(out));
        free(out);
        free(req);
        cJSON_Delete(ans);
        cJSON_Delete(j);
        close(c);
    }
}

static pid_t fake(const char *path, fake_mode mode, int fail_write, int big)
{
    int lfd = listen_unix(path);
    if (lfd < 0)
        return -1;
    pid_t p = fork();
    if (p != 0) {
        close(lfd);
        return p;
    }
    setpgid(0, 0);   /* stop() kills the group: the per-connection children too */
    if (mode == FAKE_KEA)
        fake_kea(lfd, fail_write, big);
    for (;;) {
        int c = accept(lfd, NULL, NULL);
        if (c < 0)
            continue;
        free(read_cmd(c));
        if (mode == FAKE_SPLIT_NO_CLOSE) {
            if (fork() == 0) {   /* one process per connection: the listener goes on */
                const char *a1 = "{\"result\": 0, \"text\": \"a } br";
                const char *a2 = "ace\", \"arguments\": {\"pid\": 7, \"uptime\": 3}}";
                write_all(c, a1, strlen(a1));
                usleep(50000);
                write_all(c, a2, strlen(a2));
                sleep(30);   /* never closes: the client must stop at the end of the JSON */
                _exit(0);
            }
        } else if (mode == FAKE_GARBAGE) {
            write_all(c, "\x01\x02 not json at all", 19);
        } else if (mode == FAKE_SILENT) {
            sleep(30);
        }
        close(c);
    }
}

static void stop(pid_t p)
{
    if (p > 0) {
        kill(-p, SIGKILL);
        kill(p, SIGKILL);
        waitpid(p, NULL, 0);
    }
}

static void test_client_fakes(void)
{
    char path[300], ep[310];
    cJSON *r = NULL;
    ipl_diag d = {0};
    char detail[256];
    snprintf(path, sizeof path, "%s/s", dir);
    snprintf(ep, sizeof ep, "unix:%s", path);

    pid_t p = fake(path, FAKE_SPLIT_NO_CLOSE, 0, 0);
    CHECK(p > 0);
    /* the server never closes: a client waiting for the close would time out instead */
    CHECK_INT(ipl_kea_call(ep, NULL, "status-get", NULL, 5000, &r, &d), IPL_OK);
    CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(r, "text")), "a } brace");
    cJSON_Delete(r);
    CHECK_INT(ipl_kea_status(ep, 5000, detail, sizeof detail), 0);
    CHECK(strstr(detail, "pid 7") != NULL);
    stop(p);

    p = fake(path, FAKE_GARBAGE, 0, 0);
    CHECK_INT(ipl_kea_call(ep, NULL, "config-get", NULL, 5000, &r, &d), IPL_EPARSE);
    CHECK(strstr(d.msg, ep) && strstr(d.msg, "malformed reply to 'config-get'"));
    CHECK_INT(ipl_kea_status(ep, 5000, detail, sizeof detail), 1);   /* degraded */
    stop(p);

    p = fake(path, FAKE_SILENT, 0, 0);
    CHECK_INT(ipl_kea_call(ep, NULL, "config-get", NULL, 200, &r, &d), IPL_EBUSY);
    CHECK(strstr(d.msg, ep) && strstr(d.msg, "no reply to 'config-get' within 200 ms"));
    CHECK_INT(ipl_kea_status(ep, 200, detail, sizeof detail), 2);
    stop(p);

    p = fake(path, FAKE_CLOSE, 0, 0);
    CHECK_INT(ipl_kea_call(ep, NULL, "config-get", NULL, 2000, &r, &d), IPL_EIO);
    CHECK(strstr(d.msg, "closed without a reply") != NULL);
    stop(p);

    unlink(path);
    CHECK_INT(ipl_kea_call(ep, NULL, "config-get", NULL, 2000, &r, &d), IPL_EIO);
    CHECK(strstr(d.msg, "not reachable") && strstr(d.msg, ep));
    CHECK_INT(ipl_kea_status(ep, 500, detail, sizeof detail), 2);
    CHECK_INT(ipl_kea_call(ep, "dhcp5", "config-get", NULL, 2000, &r, &d), IPL_EINVAL);
}

/* ---- edits ---- */

static cJSON *sample(void)
{
    return cJSON_Parse(
        "{\"Dhcp4\": {\"subnet4\": ["
        "{\"id\": 1, \"subnet\": \"10.1.0.0/24\", \"pools\": [{\"pool\": \"10.1.0.10 - 10.1.0.20\"}],"
        " \"option-data\": [{\"name\": \"routers\", \"data\": \"10.1.0.1\"},"
        "                   {\"name\": \"domain-name-servers\", \"data\": \"10.0.0.53, 10.0.0.54\"}],"
        " \"reservations\": [{\"hw-address\": \"00:11:22:33:44:55\", \"ip-address\": \"10.1.0.5\"}]},"
        "{\"id\": 2, \"subnet\": \"10.2.0.0/24\", \"option-data\": []},"
        "{\"id\": 5, \"subnet\": \"10.5.0.0/24\"}]}}");
}

static cJSON *subnet(cJSON *cfg, int id)
{
    cJSON *s;
    cJSON_ArrayForEach(s, cJSON_GetObjectItem(cJSON_GetObjectItem(cfg, "Dhcp4"), "subnet4"))
        if (cJSON_GetNumberValue(cJSON_GetObjectItem(s, "id")) == id)
            return s;
    return NULL;
}

static const char *opt(cJSON *cfg, int id, const char *name)
{
    cJSON *o;
    cJSON_ArrayForEach(o, cJSON_GetObjectItem(subnet(cfg, id), "option-data"))
        if (!strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(o, "name")), name))
            return cJSON_GetStringValue(cJSON_GetObjectItem(o, "data"));
    return NULL;
}

static int edit(cJSON *cfg, const ipl_kea_edit *e, ipl_diag *d)
{
    int64_t id = 0;
    return ipl_kea_edit_config(cfg, "dhcp4", e, &id, d);
}

static void test_edit_subnets(void)
{
    cJSON *c = sample();
    ipl_diag d = {0};
    int64_t id = 0;
    const char *pools[] = {"10.9.0.100-10.9.0.200"}, *opts[] = {"routers=10.9.0.1"};
    ipl_kea_edit e = {.op = IPL_KEA_SUBNET_ADD, .prefix = "10.9.0.0/24", .pools = pools,
                      .npools = 1, .options = opts, .noptions = 1};
    CHECK_INT(ipl_kea_edit_config(c, "dhcp4", &e, &id, &d), IPL_OK);
    CHECK_INT(id, 6);   /* the next after the largest */
    CHECK_STR(opt(c, 6, "routers"), "10.9.0.1");

    e.prefix = "10.1.0.128/25";   /* inside subnet 1 */
    CHECK_INT(edit(c, &e, &d), IPL_EINVAL);
    CHECK(strstr(d.msg, "overlaps subnet id 1") != NULL);
    e.prefix = "10.1.0.5/24";     /* host bits */
    CHECK_INT(edit(c, &e, &d), IPL_EINVAL);
    e.prefix = "2001:db8::/64";
    CHECK_INT(edit(c, &e, &d), IPL_EINVAL);
    CHECK(strstr(d.msg, "not IPv4") != NULL);
    e.prefix = "10.10.0.0/24";    /* pool outside the subnet */
    CHECK_INT(edit(c, &e, &d), IPL_EINVAL);
    CHECK(strstr(d.msg, "outside subnet") != NULL);
    const char *two[] = {"10.10.0.10-10.10.0.50", "10.10.0.40-10.10.0.60"};
    e.pools = two;
    e.npools = 2;
    CHECK_INT(edit(c, &e, &d), IPL_EINVAL);
    CHECK(strstr(d.msg, "overlaps pool") != NULL);
    ipl_kea_edit dup = {.op = IPL_KEA_SUBNET_ADD, .subnet_id = 2, .prefix = "10.11.0.0/24"};
    CHECK_INT(edit(c, &dup, &d), IPL_EEXIST);

    ipl_kea_edit ed = {.op = IPL_KEA_SUBNET_EDIT, .subnet_id = 7, .prefix = "10.7.0.0/24"};
    CHECK_INT(edit(c, &ed, &d), IPL_ENOTFOUND);
    CHECK(strstr(d.msg, "unknown subnet id 7") != NULL);
    ed.subnet_id = 1;
    ed.prefix = "10.1.1.0/24";    /* its pool and reservation would fall outside */
    CHECK_INT(edit(c, &ed, &d), IPL_EINVAL);
    ed.prefix = "10.1.0.0/23";
    CHECK_INT(edit(c, &ed, &d), IPL_OK);
    CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(subnet(c, 1), "subnet")), "10.1.0.0/23");

    ipl_kea_edit del = {.op = IPL_KEA_SUBNET_DELETE, .subnet_id = 5};
    CHECK_INT(edit(c, &del, &d), IPL_OK);
    CHECK(subnet(c, 5) == NULL);
    CHECK_INT(edit(c, &del, &d), IPL_ENOTFOUND);
    cJSON_Delete(c);
}

static void test_edit_pools(void)
{
    cJSON *c = sample();
    ipl_diag d = {0};
    const char *p1[] = {"10.2.0.100-10.2.0.150"};
    ipl_kea_edit e = {.op = IPL_KEA_POOL_ADD, .subnet_id = 2, .pools = p1, .npools = 1};
    CHECK_INT(edit(c, &e, &d), IPL_OK);
    const char *p2[] = {"10.2.0.150-10.2.0.160"};
    e.pools = p2;
    CHECK_INT(edit(c, &e, &d), IPL_EINVAL);   /* overlaps the one just added */
    const char *p3[] = {"10.3.0.1-10.3.0.9"};
    e.pools = p3;
    CHECK_INT(edit(c, &e, &d), IPL_EINVAL);
    CHECK(strstr(d.msg, "outside subnet id 2") != NULL);
    const char *p4[] = {"10.2.0.9-10.2.0.1"};
    e.pools = p4;
    CHECK_INT(edit(c, &e, &d), IPL_EINVAL);
    CHECK(strstr(d.msg, "malformed pool") != NULL);
    /* delete matches by range, whatever the spacing Kea used */
    const char *p5[] = {"10.1.0.10-10.1.0.20"};
    ipl_kea_edit del = {.op = IPL_KEA_POOL_DELETE, .subnet_id = 1, .pools = p5, .npools = 1};
    CHECK_INT(edit(c, &del, &d), IPL_OK);
    CHECK_INT(cJSON_GetArraySize(cJSON_GetObjectItem(subnet(c, 1), "pools")), 0);
    CHECK_INT(edit(c, &del, &d), IPL_ENOTFOUND);
    cJSON_Delete(c);
}

static void test_edit_options(void)
{
    cJSON *c = sample();
    ipl_diag d = {0};
    int64_t ids[] = {1, 2};
    ipl_kea_edit e = {.op = IPL_KEA_OPTIONS, .subnets = ids, .nsubnets = 2,
                      .optop = IPL_KEA_OPT_ADD, .optname = "routers", .optvalue = "10.2.0.1"};
    CHECK_INT(edit(c, &e, &d), IPL_OK);
    CHECK_STR(opt(c, 1, "routers"), "10.1.0.1");   /* add: only where absent */
    CHECK_STR(opt(c, 2, "routers"), "10.2.0.1");
    CHECK(opt(c, 5, "routers") == NULL);           /* not in the list */

    e.optop = IPL_KEA_OPT_SET;
    e.optname = "domain-name";
    e.optvalue = "corp.example";
    e.nsubnets = 0;                                /* all */
    CHECK_INT(edit(c, &e, &d), IPL_OK);
    CHECK_STR(opt(c, 1, "domain-name"), "corp.example");
    CHECK_STR(opt(c, 5, "domain-name"), "corp.example");
    e.optvalue = "new.example";
    CHECK_INT(edit(c, &e, &d), IPL_OK);
    CHECK_STR(opt(c, 2, "domain-name"), "new.example");

    e.optop = IPL_KEA_OPT_REPLACE;
    e.optname = "domain-name-servers";
    e.optold = "10.0.0.5";
    e.optvalue = "10.9.9.5";
    CHECK_INT(edit(c, &e, &d), IPL_OK);
    CHECK_STR(opt(c, 1, "domain-name-servers"), "10.9.9.53, 10.9.9.54");

    e.optop = IPL_KEA_OPT_DELETE;
    e.optname = "domain-name";
    CHECK_INT(edit(c, &e, &d), IPL_OK);
    CHECK(opt(c, 1, "domain-name") == NULL && opt(c, 5, "domain-name") == NULL);

    int64_t bad[] = {1, 9};
    e.subnets = bad;
    e.nsubnets = 2;
    e.optop = IPL_KEA_OPT_SET;
    e.optvalue = "x";
    CHECK_INT(edit(c, &e, &d), IPL_ENOTFOUND);
    CHECK(strstr(d.msg, "unknown subnet id 9") != NULL);
    CHECK(opt(c, 1, "domain-name") == NULL);       /* checked before any subnet is touched */
    e.optname = "bad name";
    CHECK_INT(edit(c, &e, &d), IPL_EINVAL);

    size_t n = 0;
    int64_t out[4];
    CHECK_INT(ipl_kea_parse_ids("1,2,5", out, 4, &n, &d), IPL_OK);
    CHECK_INT(n, 3);
    CHECK_INT(out[2], 5);
    CHECK_INT(ipl_kea_parse_ids("all", out, 4, &n, &d), IPL_OK);
    CHECK_INT(n, 0);
    CHECK_INT(ipl_kea_parse_ids("1,,2", out, 4, &n, &d), IPL_EINVAL);
    CHECK_INT(ipl_kea_parse_ids("1,2,3,4,5", out, 4, &n, &d), IPL_ELIMIT);
    CHECK_INT(ipl_kea_parse_ids("0", out, 4, &n, &d), IPL_EINVAL);
    cJSON_Delete(c);
}

static void test_edit_reservations(void)
{
    cJSON *c = sample();
    ipl_diag d = {0};
    ipl_kea_edit e = {.op = IPL_KEA_RESV_ADD, .subnet_id = 1, .ip = "10.1.0.6",
                      .mac = "AA-BB-CC-DD-EE-FF", .hostname = "printer"};
    CHECK_INT(edit(c, &e, &d), IPL_OK);
    cJSON *rs = cJSON_GetObjectItem(subnet(c, 1), "reservations");
    CHECK_INT(cJSON_GetArraySize(rs), 2);
    CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetArrayItem(rs, 1), "hw-address")),
              "aa:bb:cc:dd:ee:ff");
    e.mac = "00:00:00:00:00:01";
    CHECK_INT(edit(c, &e, &d), IPL_EEXIST);        /* same address */
    CHECK(strstr(d.msg, "duplicate reservation: 10.1.0.6") != NULL);
    e.ip = "10.1.0.7";
    e.mac = "00:11:22:33:44:55";
    CHECK_INT(edit(c, &e, &d), IPL_EEXIST);        /* same client */
    e.ip = "10.2.0.7";
    e.mac = "00:00:00:00:00:02";
    CHECK_INT(edit(c, &e, &d), IPL_EINVAL);        /* outside subnet 1 */
    e.ip = "10.1.0.8";
    e.mac = "zz";
    CHECK_INT(edit(c, &e, &d), IPL_EINVAL);
    e.mac = "00:00:00:00:00:03";
    e.hostname = "bad host!";
    CHECK_INT(edit(c, &e, &d), IPL_EINVAL);

    ipl_kea_edit rm = {.op = IPL_KEA_RESV_REMOVE, .subnet_id = 1, .ip = "10.1.0.5"};
    CHECK_INT(edit(c, &rm, &d), IPL_OK);
    CHECK_INT(cJSON_GetArraySize(cJSON_GetObjectItem(subnet(c, 1), "reservations")), 1);
    CHECK_INT(edit(c, &rm, &d), IPL_ENOTFOUND);
    CHECK(strstr(d.msg, "no reservation for 10.1.0.5") != NULL);
    cJSON_Delete(c);
}

/* ---- diff ---- */

struct diffs {
    int n;
    char obj[8][64];
    int added[8], removed[8];
    char newj[8][512];
};

static int diff_fn(void *ctx, const char *object, const cJSON *o, const cJSON *n)
{
    struct diffs *x = ctx;
    if (x->n < 8) {
        snprintf(x->obj[x->n], 64, "%s", object);
        x->added[x->n] = !o;
        x->removed[x->n] = !n;
        char *s = n ? cJSON_PrintUnformatted(n) : NULL;
        snprintf(x->newj[x->n], 512, "%s", s ? s : "");
        free(s);
    }
    x->n++;
    return 0;
}

static void test_diff(void)
{
    cJSON *a = sample(), *b = sample();
    struct diffs x;
    memset(&x, 0, sizeof x);
    CHECK_INT(ipl_kea_diff(a, b, diff_fn, &x), 0);
    cJSON_SetNumberValue(cJSON_GetObjectItem(subnet(b, 2), "id"), 3);           /* 2 -> 3 */
    cJSON_AddNumberToObject(cJSON_GetObjectItem(b, "Dhcp4"), "valid-lifetime", 60);
    cJSON_AddStringToObject(subnet(b, 1), "comment", "edited");
    memset(&x, 0, sizeof x);
    CHECK_INT(ipl_kea_diff(a, b, diff_fn, &x), 4);
    CHECK_STR(x.obj[0], "subnet4[id=1]");
    CHECK_STR(x.newj[0], "{\"id\":1,\"comment\":\"edited\"}");   /* only what differs */
    CHECK_STR(x.obj[1], "subnet4[id=2]");
    CHECK(x.removed[1]);
    CHECK_STR(x.obj[2], "subnet4[id=3]");
    CHECK(x.added[2]);
    CHECK_STR(x.obj[3], "Dhcp4.valid-lifetime");
    char h1[65], h2[65];
    ipl_kea_config_hash(a, h1);
    ipl_kea_config_hash(b, h2);
    CHECK(strlen(h1) == 64 && strcmp(h1, h2) != 0);
    cJSON_Delete(a);
    cJSON_Delete(b);
}

/* ---- the change flow against the fake Kea ---- */

struct evs {
    int n, failed, ok;
    char last_error[1024];
};

static int count_changes(ipl_store *st, struct evs *x)
{
    ipl_rtxn *t = NULL;
    ipl_diag d = {0};
    memset(x, 0, sizeof *x);
    if (ipl_rtxn_begin(st, &t, &d))
        return -1;
    for (uint64_t s = 1; s <= ipl_store_last_seq(t); s++) {
        ipl_event ev;
        size_t n;
        if (ipl_store_get(t, s, &ev, &d) || ev.kind != IPL_K_CONFIG_CHANGE)
            continue;
        x->n++;
        const char *r = ipl_event_attr(&ev, IPL_A_RESULT, &n);
        if (r && n == 6 && !memcmp(r, "failed", 6)) {
            x->failed++;
            const char *e = ipl_event_attr(&ev, IPL_A_ERROR, &n);
            snprintf(x->last_error, sizeof x->last_error, "%.*s", (int)n, e ? e : "");
        } else if (r && n == 2) {
            x->ok++;
        }
    }
    ipl_rtxn_end(t);
    return 0;
}

static void test_apply_write_fails(void)
{
    char path[300], ep[310], sdir[300], warn[512];
    ipl_store *st = NULL;
    ipl_diag d = {0};
    int base = 0;
    snprintf(path, sizeof path, "%s/k", dir);
    snprintf(ep, sizeof ep, "unix:%s", path);
    snprintf(sdir, sizeof sdir, "%s/store", dir);
    ipl_kea_actor a = {.principal = "cli:tester", .timeout_ms = 3000};

    pid_t p = fake(path, FAKE_KEA, 1, 0);
    CHECK(p > 0);
    CHECK_INT(ipl_store_open(&st, sdir, IPL_STORE_CREATE, &d), IPL_OK);
    CHECK_INT(ipl_kea_register(st, "fk", ep, "dhcp4", &a, &base, warn, sizeof warn, &d), IPL_OK);
    CHECK_INT(base, 1);
    CHECK_INT(ipl_kea_register(st, "fk", ep, "dhcp4", &a, &base, warn, sizeof warn, &d),
              IPL_EEXIST);
    CHECK_INT(ipl_kea_register(st, "bad name", ep, "dhcp4", &a, &base, warn, sizeof warn, &d),
              IPL_EINVAL);

    ipl_kea_edit e = {.op = IPL_KEA_SUBNET_ADD, .prefix = "10.8.0.0/24"};
    ipl_kea_result res;
    CHECK_INT(ipl_kea_apply(st, "fk", &a, &e, &res, &d), IPL_EDENIED);
    CHECK(strstr(d.msg, "config-write") && strstr(d.msg, "Unable to open file") &&
          strstr(d.msg, "the previous config was set back"));
    CHECK_INT(res.changed, 0);
    /* Kea runs the old config again, and ipledger's view has no drift from it */
    cJSON *cfg = NULL;
    size_t nd = 9;
    CHECK_INT(ipl_kea_read(st, "fk", &a, 0, &cfg, &nd, NULL, NULL, &d), IPL_OK);
    CHECK_INT(nd, 0);
    CHECK(cfg && subnet(cfg, 2) == NULL && subnet(cfg, 1) != NULL);
    cJSON_Delete(cfg);
    struct evs x;
    CHECK_INT(count_changes(st, &x), 0);
    CHECK_INT(x.n, 2);          /* register + the failed change */
    CHECK_INT(x.failed, 1);
    CHECK(strstr(x.last_error, "set back") != NULL);
    stop(p);

    /* the same change on a Kea that can write: recorded ok, one event per object */
    p = fake(path, FAKE_KEA, 0, 0);
    CHECK_INT(ipl_kea_apply(st, "fk", &a, &e, &res, &d), IPL_OK);
    CHECK_INT(res.changed, 1);
    CHECK_INT(res.subnet_id, 2);
    CHECK_INT(res.drift, 0);
    CHECK_INT(count_changes(st, &x), 0);
    CHECK_INT(x.ok, 2);         /* register, the add (the attempt before is the failed one) */
    stop(p);

    /* drift: a Kea restarted from its original file lost subnet 2 behind ipledger's back */
    p = fake(path, FAKE_KEA, 0, 0);
    CHECK_INT(ipl_kea_read(st, "fk", &a, 0, NULL, &nd, NULL, NULL, &d), IPL_OK);
    CHECK_INT(nd, 1);           /* check only: nothing recorded */
    CHECK_INT(count_changes(st, &x), 0);
    CHECK_INT(x.n, 3);
    CHECK_INT(ipl_kea_read(st, "fk", &a, 1, NULL, &nd, NULL, NULL, &d), IPL_OK);
    CHECK_INT(nd, 1);
    CHECK_INT(count_changes(st, &x), 0);
    CHECK_INT(x.n, 4);          /* the drift event */
    CHECK_INT(ipl_kea_read(st, "fk", &a, 1, NULL, &nd, NULL, NULL, &d), IPL_OK);
    CHECK_INT(nd, 0);           /* the new last known is what Kea has */
    stop(p);

    /* unreachable: reported with the server and recorded as failed */
    unlink(path);
    CHECK_INT(ipl_kea_apply(st, "fk", &a, &e, &res, &d), IPL_EIO);
    CHECK(strstr(d.msg, "kea server 'fk'") && strstr(d.msg, "not reachable"));
    CHECK_INT(count_changes(st, &x), 0);
    CHECK_INT(x.failed, 2);
    stop(p);
    ipl_store_close(st);
}

static void test_big_config(void)
{
    char path[300], ep[310], sdir[300], warn[512];
    ipl_store *st = NULL;
    ipl_diag d = {0};
    int base = 0;
    size_t nd = 9;
    snprintf(path, sizeof path, "%s/big", dir);
    snprintf(ep, sizeof ep, "unix:%s", path);
    snprintf(sdir, sizeof sdir, "%s/store-big", dir);
    ipl_kea_actor a = {.principal = "cli:tester", .timeout_ms = 20000};
    pid_t p = fake(path, FAKE_KEA, 0, 1);
    CHECK_INT(ipl_store_open(&st, sdir, IPL_STORE_CREATE, &d), IPL_OK);
    CHECK_INT(ipl_kea_register(st, "big", ep, "dhcp4", &a, &base, warn, sizeof warn, &d), IPL_OK);
    CHECK_INT(base, 1);
    /* the config read back from its parts equals what Kea has: no drift */
    CHECK_INT(ipl_kea_read(st, "big", &a, 0, NULL, &nd, NULL, NULL, &d), IPL_OK);
    CHECK_INT(nd, 0);
    int64_t ids[] = {1, 3000};
    ipl_kea_edit e = {.op = IPL_KEA_OPTIONS, .subnets = ids, .nsubnets = 2,
                      .optop = IPL_KEA_OPT_SET, .optname = "domain-name", .optvalue = "big.example"};
    ipl_kea_result res;
    CHECK_INT(ipl_kea_apply(st, "big", &a, &e, &res, &d), IPL_OK);
    CHECK_INT(res.changed, 2);
    CHECK_INT(res.drift, 0);
    CHECK_INT(ipl_kea_read(st, "big", &a, 0, NULL, &nd, NULL, NULL, &d), IPL_OK);
    CHECK_INT(nd, 0);
    CHECK_INT(ipl_kea_unregister(st, "big", &a, &d), IPL_OK);
    CHECK_INT(ipl_kea_read(st, "big", &a, 0, NULL, &nd, NULL, NULL, &d), IPL_ENOTFOUND);
    stop(p);
    ipl_store_close(st);
}

int main(void)
{
    snprintf(dir, sizeof dir, "/tmp/ipl-kea-test-XXXXXX");
    if (!mkdtemp(dir))
        return 1;
    RUN(test_json_complete);
    RUN(test_parse_reply);
    RUN(test_http_split);
    RUN(test_endpoints);
    RUN(test_client_fakes);
    RUN(test_edit_subnets);
    RUN(test_edit_pools);
    RUN(test_edit_options);
    RUN(test_edit_reservations);
    RUN(test_diff);
    RUN(test_apply_write_fails);
    RUN(test_big_config);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "cannot remove %s\n", dir);
    return check_summary();
}
