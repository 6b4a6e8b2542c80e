/* tools/cli/ipledger.c — the ipledger command (being built: see the store and ingest modules). */
#include <stdio.h>
int main(void) { puts("ipledger"); return 0; }
