/* Memory of a process, for the benchmarks that report a worker's footprint. */
#ifndef BK_BENCH_PROCMEM_H
#define BK_BENCH_PROCMEM_H

#include <sys/types.h>

/* In KiB, from /proc/PID/smaps_rollup; -1 where unknown. RSS counts every page mapped,
 * library code shared with every other process included; PSS divides shared pages among
 * their users; private pages are this process's alone; shared_clean is mostly library code. */
typedef struct bench_mem {
    long rss, pss, private, shared_clean;
} bench_mem;

void bench_mem_of(pid_t pid, bench_mem *m);
/* Adds b to a (for an average over several processes). */
void bench_mem_add(bench_mem *a, const bench_mem *b);

#endif
