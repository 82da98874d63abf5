/* See procmem.h. */
#include "procmem.h"

#include <stdio.h>

void bench_mem_of(pid_t pid, bench_mem *m)
{
    char path[64], line[256];
    long v, pc = -1, pd = -1;
    *m = (bench_mem){ -1, -1, -1, -1 };
    snprintf(path, sizeof path, "/proc/%d/smaps_rollup", (int)pid);
    FILE *f = fopen(path, "r");
    while (f && fgets(line, sizeof line, f)) {
        if (sscanf(line, "Rss: %ld", &v) == 1)
            m->rss = v;
        else if (sscanf(line, "Pss: %ld", &v) == 1)
            m->pss = v;
        else if (sscanf(line, "Shared_Clean: %ld", &v) == 1)
            m->shared_clean = v;
        else if (sscanf(line, "Private_Clean: %ld", &v) == 1)
            pc = v;
        else if (sscanf(line, "Private_Dirty: %ld", &v) == 1)
            pd = v;
    }
    if (f)
        fclose(f);
    if (pc >= 0 && pd >= 0)
        m->private = pc + pd;
}

void bench_mem_add(bench_mem *a, const bench_mem *b)
{
    a->rss += b->rss;
    a->pss += b->pss;
    a->private += b->private;
    a->shared_clean += b->shared_clean;
}
