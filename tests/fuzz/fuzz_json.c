/* tests/fuzz/fuzz_json.c — differential target for parsers/json.c: every input goes to the arena
 * parser and to the real cJSON (cJSON_ParseWithLengthOpts, as parsers used it before); both must
 * accept or refuse alike, name the same error byte or end, and build the same tree (types, keys,
 * strings, numbers, order). The input is an exact-size heap copy (a read past its end is caught).
 */
#include "engine/arena.h"
#include "engine/err.h"
#include "parsers/json.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void same(const cJSON *a, const cJSON *b)
{
    while (a || b) {
        if (!a || !b || (a->type & 0xFF) != (b->type & 0xFF))
            abort();
        if ((a->string == NULL) != (b->string == NULL) || (a->string && strcmp(a->string, b->string)))
            abort();
        if (cJSON_IsString(a) && strcmp(a->valuestring, b->valuestring))
            abort();
        if (cJSON_IsNumber(a)) {
            if (!(a->valuedouble == b->valuedouble || (isnan(a->valuedouble) && isnan(b->valuedouble))))
                abort();
            if (a->valueint != b->valueint)
                abort();
        }
        if (cJSON_GetArraySize(a) != cJSON_GetArraySize(b))
            abort();
        same(a->child, b->child);
        a = a->next;
        b = b->next;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size ? size : 1);
    if (!s)
        return 0;
    memcpy(s, data, size);
    const char *cend = NULL;
    cJSON *ref = cJSON_ParseWithLengthOpts(s, size, &cend, 0);
    ipl_arena a;
    ipl_arena_init(&a, (size_t)64 << 20);
    cJSON *mine = NULL;
    size_t end = 0, err = 0;
    int rc = ipl_json_parse(s, size, &a, &mine, &end, &err);
    if (rc == IPL_ENOMEM) {
        /* only a huge input may exhaust the arena */
    } else if (!ref) {
        if (rc != IPL_EPARSE || !cend || (size_t)(cend - s) != err)
            abort();
    } else {
        if (rc != IPL_OK || (size_t)(cend - s) != end)
            abort();
        same(ref, mine);
    }
    cJSON_Delete(ref);
    ipl_arena_release(&a);
    free(s);
    return 0;
}
